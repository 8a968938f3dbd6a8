// Every message of the system: atoms, typed actor interfaces and the registration of the types
// that cross hosts. Reading this file tells a newcomer who talks to whom.
//
//   dmctl --(admin messages)--> worker --spawns--> source --spawns--> relay (detached)
//                                  \--spawns--> task --spawns--> syncer (detached)
//                                                                   \--spawns--> applier x N
//   relay --relay_head--> source --relay_head--> syncer --apply--> applier --ack--> syncer
//   syncer --progress--> task
//   task --spawns--> loader --spawns--> chunk loader x pool-size
//   task --spawns--> dumper --spawns--> dump reader x threads
//   dumper --chunk_dumped--> loader --load--> chunk loader; loader --chunk_loaded--> dumper
//   loader --add_indexes--> chunk loader (once every chunk is loaded)
//   dumper, loader --progress--> task
//   worker --spawns--> shard coordinator; syncer --shard DDL--> shard coordinator --resolved-->
//   syncer (shard-mode pessimistic)
#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include "model/config.hpp"
#include "model/messages.hpp"
#include "model/status.hpp"
#include "storage/dump_store.hpp"
#include "sync/shard_locks.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(dm, caf::first_custom_type_id)

  // Types that travel between dmctl and workers (serialized).
  CAF_ADD_TYPE_ID(dm, (dm::binlog_position))
  CAF_ADD_TYPE_ID(dm, (dm::db_config))
  CAF_ADD_TYPE_ID(dm, (dm::purge_config))
  CAF_ADD_TYPE_ID(dm, (dm::source_config))
  CAF_ADD_TYPE_ID(dm, (dm::binlog_meta))
  CAF_ADD_TYPE_ID(dm, (dm::syncer_config))
  CAF_ADD_TYPE_ID(dm, (dm::mysql_instance))
  CAF_ADD_TYPE_ID(dm, (dm::task_config))
  CAF_ADD_TYPE_ID(dm, (dm::relay_status))
  CAF_ADD_TYPE_ID(dm, (dm::source_status))
  CAF_ADD_TYPE_ID(dm, (std::vector<dm::source_status>))
  CAF_ADD_TYPE_ID(dm, (dm::migration_progress))
  CAF_ADD_TYPE_ID(dm, (dm::subtask_status))
  CAF_ADD_TYPE_ID(dm, (dm::task_status))
  CAF_ADD_TYPE_ID(dm, (dm::status_reply))
  CAF_ADD_TYPE_ID(dm, (dm::purge_result))
  CAF_ADD_TYPE_ID(dm, (dm::member_info))
  CAF_ADD_TYPE_ID(dm, (std::vector<dm::member_info>))
  CAF_ADD_TYPE_ID(dm, (dm::check_item))
  CAF_ADD_TYPE_ID(dm, (std::vector<dm::check_item>))
  CAF_ADD_TYPE_ID(dm, (std::vector<dm::task_config>))
  CAF_ADD_TYPE_ID(dm, (dm::shard_lock_status))
  CAF_ADD_TYPE_ID(dm, (std::vector<dm::shard_lock_status>))

  // Admin commands (dmctl -> worker), each wrapped as (admin, token, command) for the gate.
  CAF_ADD_ATOM(dm, dm, admin_atom, "admin")
  CAF_ADD_ATOM(dm, dm, operate_source_atom, "opsource")
  CAF_ADD_ATOM(dm, dm, create_atom, "create")
  CAF_ADD_ATOM(dm, dm, show_atom, "show")
  CAF_ADD_ATOM(dm, dm, stop_atom, "stop")
  CAF_ADD_ATOM(dm, dm, start_task_atom, "starttask")
  CAF_ADD_ATOM(dm, dm, check_task_atom, "checktask")
  CAF_ADD_ATOM(dm, dm, query_status_atom, "querystat")
  CAF_ADD_ATOM(dm, dm, stop_task_atom, "stoptask")
  CAF_ADD_ATOM(dm, dm, list_member_atom, "listmember")
  CAF_ADD_ATOM(dm, dm, purge_relay_atom, "purgerelay")
  CAF_ADD_ATOM(dm, dm, update_task_atom, "updatetask")
  CAF_ADD_ATOM(dm, dm, relay_op_atom, "relayop")
  CAF_ADD_ATOM(dm, dm, get_config_atom, "getconfig")
  CAF_ADD_ATOM(dm, dm, binlog_schema_atom, "binschema")
  CAF_ADD_ATOM(dm, dm, show_ddl_locks_atom, "showlocks")
  CAF_ADD_ATOM(dm, dm, unlock_ddl_lock_atom, "unlocklock")

  // Internal messages.
  CAF_ADD_ATOM(dm, dm, relay_head_atom, "relayhead")
  CAF_ADD_ATOM(dm, dm, subscribe_atom, "subscribe")
  CAF_ADD_ATOM(dm, dm, pump_atom, "pump")
  CAF_ADD_ATOM(dm, dm, status_atom, "status")
  CAF_ADD_ATOM(dm, dm, progress_atom, "progress")
  CAF_ADD_ATOM(dm, dm, apply_atom, "apply")
  CAF_ADD_ATOM(dm, dm, ack_atom, "ack")
  CAF_ADD_ATOM(dm, dm, restart_atom, "restart")
  CAF_ADD_ATOM(dm, dm, tick_atom, "tick")
  CAF_ADD_ATOM(dm, dm, run_atom, "run")
  CAF_ADD_ATOM(dm, dm, apply_failed_atom, "applyfail")
  CAF_ADD_ATOM(dm, dm, handle_error_atom, "handleerr")
  CAF_ADD_ATOM(dm, dm, pause_task_atom, "pausetask")
  CAF_ADD_ATOM(dm, dm, resume_task_atom, "resumetask")
  CAF_ADD_ATOM(dm, dm, plan_atom, "plan")
  CAF_ADD_ATOM(dm, dm, dump_atom, "dump")
  CAF_ADD_ATOM(dm, dm, load_atom, "load")
  CAF_ADD_ATOM(dm, dm, add_indexes_atom, "addindexes")
  CAF_ADD_ATOM(dm, dm, chunk_dumped_atom, "chunkdump")
  CAF_ADD_ATOM(dm, dm, chunk_loaded_atom, "chunkload")
  CAF_ADD_ATOM(dm, dm, dump_done_atom, "dumpdone")
  CAF_ADD_ATOM(dm, dm, shard_ddl_atom, "sharddl")
  CAF_ADD_ATOM(dm, dm, shard_tables_atom, "shardtbls")
  CAF_ADD_ATOM(dm, dm, cluster_bind_atom, "clbind")
  CAF_ADD_ATOM(dm, dm, cluster_release_atom, "clrelease")
  CAF_ADD_ATOM(dm, dm, cluster_lease_atom, "cllease")
  CAF_ADD_ATOM(dm, dm, cluster_tasks_atom, "cltasks")
  CAF_ADD_ATOM(dm, dm, cluster_copy_atom, "clcopy")

CAF_END_TYPE_ID_BLOCK(dm)

// Local-only payloads: never serialized, so exempt from inspection.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::relay_progress)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::sync_progress)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::job_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::relay_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::storage::dump_table)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::storage::dump_chunk)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::storage::deferred_indexes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<dm::storage::dump_chunk>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::dump_counters)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::load_counters)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::blocking_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::shard_arrival)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::shard_verdict)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::shard_table_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dm::shard_member)

namespace dm {

// Runs the blocking work of the event-based actors (worker, source, task): synced RocksDB
// writes, file removal, compaction, one job at a time on its own thread (detached), so that the
// scheduler's threads never wait for the disk. Replies when the job is done, or its error.
using store_actor = caf::typed_actor<caf::replies_to<run_atom, blocking_job>::with<void>>;

// The worker's admin endpoint, published on worker-addr for dmctl. Every handler answers with
// the affected objects' status, or fails with a one-line error (common/error.hpp).
using worker_actor = caf::typed_actor<
    // operate-source create: binds the source to this worker, persists it, starts its relay.
    caf::replies_to<operate_source_atom, create_atom, source_config>::with<source_status>,
    // operate-source show: the status of one source, or of all when the id is empty.
    caf::replies_to<operate_source_atom, show_atom, std::string>::with<
        std::vector<source_status>>,
    // operate-source stop: stops the source's relay and removes the source and its relay log;
    // refused while a task uses the source.
    caf::replies_to<operate_source_atom, stop_atom, std::string>::with<source_status>,
    // check-task: the precheck of the task on each of its sources bound to this worker.
    caf::replies_to<check_task_atom, task_config>::with<std::vector<check_item>>,
    // start-task: runs the precheck, refuses the task if an item fails, else persists the task
    // and starts its units on every source it names; with `true` (--remove-meta) it first
    // removes what an earlier task of the name left downstream and here. A start time (unix
    // seconds, DM's --start-time; 0: none) starts an incremental task at the first transaction
    // of each source's relay log written at or after it.
    caf::replies_to<start_task_atom, task_config, bool, int64_t>::with<task_status>,
    // query-status: tasks (one, or all when the name is empty) and this worker's sources.
    caf::replies_to<query_status_atom, std::string>::with<status_reply>,
    // stop-task: stops the task's units and removes the task and its checkpoints. The sources
    // (DM's -s; empty: all) must cover every part of the task on this worker.
    caf::replies_to<stop_task_atom, std::string, std::vector<std::string>>::with<task_status>,
    // list-member: this worker, its sources and tasks.
    caf::replies_to<list_member_atom>::with<std::vector<member_info>>,
    // purge-relay: removes a source's relay files before the named file ("" applies the
    // source's purge rules now), keeping what tasks still need.
    caf::replies_to<purge_relay_atom, std::string, std::string>::with<purge_result>,
    // handle-error: for every part of the task paused on an event, skip that event or replace
    // it with SQL ("skip" or "replace", the SQL), and resume; with a position (binlog -b,
    // "file:pos"), decide ahead about the event there, and "revert" withdraws that. The last argument in this and the
    // next two: only the parts on these sources (DM's -s; empty: all); not_found when the task
    // has none of them here.
    caf::replies_to<handle_error_atom, std::string, std::string, std::string, std::string,
                    std::vector<std::string>>::with<task_status>,
    // pause-task: stops the task's units, keeping checkpoints; the parts stay Paused, also
    // across worker restarts, until resume-task.
    caf::replies_to<pause_task_atom, std::string, std::vector<std::string>>::with<task_status>,
    // resume-task: restarts paused parts' units from their checkpoints.
    caf::replies_to<resume_task_atom, std::string, std::vector<std::string>>::with<task_status>,
    // update-task: replaces the rules (block-allow-list, routes, filters) of a task whose every
    // part on this worker is Paused in its Sync unit, persists the task, and answers with its
    // status; the rules apply from the checkpoint on when the task resumes. Any other change
    // is refused (actors/task_update.hpp).
    caf::replies_to<update_task_atom, task_config>::with<task_status>,
    // DM's relay commands on a source of this worker (op, source id): "start" and "stop" keep
    // or stop keeping the relay log (enable-relay), "pause" stops reading the upstream until
    // "resume". Persisted; answers the source's status.
    caf::replies_to<relay_op_atom, std::string, std::string>::with<source_status>,
    // get-config (kind "task", "source" or "worker", name): the config as stored, as JSON
    // (passwords as given); not_found when this worker has no such object.
    caf::replies_to<get_config_atom, std::string, std::string>::with<std::string>,
    // binlog-schema list (task, db, table): the structure the task's syncer applies the
    // table's row events with when the binlog lacks it: SHOW CREATE TABLE of the downstream
    // table the task routes it to. not_found when the task does not replicate the table here.
    caf::replies_to<binlog_schema_atom, std::string, std::string, std::string>::with<
        std::string>,
    // show-ddl-locks: the open shard DDL locks (of a task, or all when empty); not_found when
    // the task is not on this worker.
    caf::replies_to<show_ddl_locks_atom, std::string>::with<std::vector<shard_lock_status>>,
    // shard-ddl-lock unlock (lock id, --force-remove): resolves a lock by hand; answers it as it
    // was (shard_lock_book::unlock).
    caf::replies_to<unlock_ddl_lock_atom, std::string, bool>::with<shard_lock_status>,
    // Internal, from the cluster member (join): runs a source this worker now holds the binding
    // of (nothing when it runs already), and stops one it gives up (graceful, like
    // operate-source stop); with no source id, stops every source at once (the lease could
    // not be proven alive: the worker fences itself).
    caf::replies_to<cluster_bind_atom, source_config>::with<source_status>,
    caf::replies_to<cluster_release_atom, std::string>::with<source_status>,
    caf::reacts_to<cluster_release_atom>,
    // Internal, from the cluster member: the worker's lease is proven alive until this moment
    // (steady clock, milliseconds since its epoch). The worker fences itself (as above) when
    // the moment passes without a newer proof, even while the member waits on etcd.
    caf::reacts_to<cluster_lease_atom, int64_t>,
    // Internal, from the cluster member, every tick: the tasks in etcd (with their
    // incarnations). The worker runs each task's parts on the sources it runs, starting a part
    // from the checkpoint kept downstream (sync/downstream_checkpoint.hpp) where there is one.
    caf::reacts_to<cluster_tasks_atom, std::vector<task_config>>,
    // Internal: spawns a source (by id), or a task part (task, source id), that ended
    // unexpectedly, after its backoff.
    caf::reacts_to<restart_atom, std::string>,
    caf::reacts_to<restart_atom, std::string, std::string>,
    // Internal: the shutdown grace is over; kills what still runs and ends the worker.
    caf::reacts_to<stop_atom>>;

// Anything that wants to hear that a relay log grew.
using relay_listener_actor = caf::typed_actor<caf::reacts_to<relay_head_atom, relay_progress>>;

// One per upstream source: supervises its relay and fans out relay growth.
using source_actor = caf::typed_actor<
    // Subscribes a listener to relay growth; replies with the relay's current progress.
    caf::replies_to<subscribe_atom, relay_listener_actor>::with<relay_progress>,
    // From the relay: the relay log grew or the upstream moved on.
    caf::reacts_to<relay_head_atom, relay_progress>,
    // Restarts the relay after a backoff delay (sent to itself).
    caf::reacts_to<restart_atom>,
    // Purges relay files before the named one ("" applies the purge rules).
    caf::replies_to<purge_relay_atom, std::string>::with<purge_result>,
    // Runs the purge rules on the purge interval (sent to itself).
    caf::reacts_to<tick_atom>,
    // The relay commands ("start", "stop", "pause", "resume"), as the worker's.
    caf::replies_to<relay_op_atom, std::string>::with<source_status>,
    // The source's status.
    caf::replies_to<status_atom>::with<source_status>>;

// The relay of one source (detached: it blocks on the upstream socket). It only pumps itself;
// it reports to its source and stops with an error when the upstream fails.
using relay_actor = caf::typed_actor<caf::reacts_to<pump_atom>>;

// One per (task, source): supervises the task's units on that source.
using task_actor = caf::typed_actor<
    // From the syncer: applied positions and counters.
    caf::reacts_to<progress_atom, sync_progress>,
    // From the dumper and the loader: their counters.
    caf::reacts_to<progress_atom, dump_counters>,
    caf::reacts_to<progress_atom, load_counters>,
    // Restarts a failed unit after its backoff delay (sent to itself).
    caf::reacts_to<restart_atom>,
    // The shutdown grace is over: kills the units still running (sent to itself).
    caf::reacts_to<stop_atom>,
    // Refreshes its metrics (sent to itself every second).
    caf::reacts_to<tick_atom>,
    // The operator's decision about the event the task stopped on (skip, or replace with the
    // SQL; the last argument empty or that event's position); resumes the task. With another
    // position (binlog -b): the decision about the event there, taken when the syncer reaches
    // it. revert withdraws such a decision (at that position, if given).
    caf::replies_to<handle_error_atom, error_action, std::string, std::string>::with<
        subtask_status>,
    // The operator pauses or resumes this (task, source).
    caf::replies_to<pause_task_atom>::with<subtask_status>,
    caf::replies_to<resume_task_atom>::with<subtask_status>,
    // The task's new config (only its rules changed): taken while Paused with no unit running
    // and the full migration (if any) finished; applies when the units start again.
    caf::replies_to<update_task_atom, task_config>::with<subtask_status>,
    // The status of this (task, source).
    caf::replies_to<status_atom>::with<subtask_status>>;

// The syncer of one (task, source) (detached: it reads RocksDB and runs DDL downstream).
using syncer_actor = caf::typed_actor<
    // The relay log grew (or the upstream moved on).
    caf::reacts_to<relay_head_atom, relay_progress>,
    // Processes the next bounded batch of relay events (sent to itself).
    caf::reacts_to<pump_atom>,
    // From applier `index`: the batch with this sequence number is committed downstream.
    caf::reacts_to<ack_atom, uint32_t, uint64_t>,
    // From applier `index`: the change from this relay event failed in a way retrying cannot
    // fix; the syncer stops on that event.
    caf::reacts_to<apply_failed_atom, uint32_t, relay_key, caf::error>,
    // Flushes the checkpoint on an interval (sent to itself).
    caf::reacts_to<tick_atom>,
    // From the shard coordinator: the DDL lock of this merged table (`db`.`table`) resolved;
    // changes held for it are replayed.
    caf::reacts_to<shard_ddl_atom, std::string>>;

// The worker's shard DDL locks (shard-mode: pessimistic; sync/shard_locks.hpp), persisted in
// RocksDB after every change (detached: it writes synced). Registered in the actor system as
// "shardlocks" (shard_coordinator.hpp).
using shard_coordinator_actor = caf::typed_actor<
    // From a syncer as it starts: its source's shard tables per merged table of its task; the
    // syncer is told when a lock it waits on resolves.
    caf::replies_to<shard_tables_atom, shard_table_list, syncer_actor>::with<void>,
    // A syncer passed the creation (true) or the drop of a shard table of a merged table
    // (task, merged table): a dropped shard is no longer awaited.
    caf::replies_to<shard_tables_atom, std::string, std::string, shard_member, bool>::with<void>,
    // A shard made a schema change of a merged table: what its syncer does with it.
    caf::replies_to<shard_ddl_atom, shard_arrival>::with<shard_verdict>,
    // The owner ran the change of the lock (task, merged table) downstream: it is resolved.
    caf::replies_to<shard_ddl_atom, std::string, std::string>::with<void>,
    // show-ddl-locks and shard-ddl-lock unlock, as the worker's.
    caf::replies_to<show_ddl_locks_atom, std::string>::with<std::vector<shard_lock_status>>,
    caf::replies_to<unlock_ddl_lock_atom, std::string, bool>::with<shard_lock_status>,
    // stop-task: forgets the task's locks; stop-task -s: the task's shards on that source.
    caf::replies_to<stop_task_atom, std::string>::with<void>,
    caf::replies_to<stop_task_atom, std::string, std::string>::with<void>,
    // Reports locks waiting too long (sent to itself).
    caf::reacts_to<tick_atom>>;

// One downstream connection of a syncer (detached: it blocks on the downstream).
using applier_actor = caf::typed_actor<
    // Applies the jobs in one transaction, then acknowledges to the syncer.
    caf::reacts_to<apply_atom, job_batch>,
    // Retries the batch that failed transiently, after its backoff (sent to itself).
    caf::reacts_to<restart_atom>>;

// One upstream connection of a dumper, inside the dump's snapshot (detached: it blocks on the
// upstream). Fails the request, and ends, on any error.
using dump_reader_actor = caf::typed_actor<
    // Plans a table's chunks by its key (one whole-table chunk when it has none).
    caf::replies_to<plan_atom, storage::dump_table>::with<std::vector<storage::dump_chunk>>,
    // Writes a chunk's rows to its data files; replies with the chunk, dumped.
    caf::replies_to<dump_atom, storage::dump_table, storage::dump_chunk>::with<
        storage::dump_chunk>>;

// Takes the snapshot and hands finished chunks to the loader (detached: it runs the snapshot's
// lock connection). Ends normally when every chunk is handed over.
using dumper_actor = caf::typed_actor<
    // From the loader: a handed-over chunk is loaded (a credit for the next one).
    caf::reacts_to<chunk_loaded_atom, std::string>>;

// Loads chunks as the dumper hands them over; ends normally when the dump is done and every
// chunk is loaded, after recording where sync starts.
using loader_actor = caf::typed_actor<
    // From the dumper: a chunk whose files are complete.
    caf::reacts_to<chunk_dumped_atom, storage::dump_table, storage::dump_chunk>,
    // From the dumper: no more chunks will come.
    caf::reacts_to<dump_done_atom>>;

// One downstream connection of a loader (detached: it blocks on the downstream).
using chunk_loader_actor = caf::typed_actor<
    // Loads a chunk's files and its completion mark in one transaction (skipped when the mark
    // is already there); replies with the chunk, loaded, and whether it was already.
    caf::replies_to<load_atom, storage::dump_table, storage::dump_chunk>::with<storage::dump_chunk,
                                                                               bool>,
    // Adds back the secondary indexes it left out when it created a table (an index already
    // there counts as added).
    caf::replies_to<add_indexes_atom, storage::deferred_indexes>::with<void>>;

}  // namespace dm
