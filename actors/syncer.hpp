// The syncer of one (task, source): reads the source's relay log from its checkpoint, decodes
// row changes, and hands them to its appliers; applies DDL itself as a barrier. Its loop reads
// receive -> plan (sync/event_plan.hpp) -> dispatch (sync/dispatcher.hpp) -> send.
//
// Detached (it reads RocksDB and runs DDL). Flow control: each pump reads a bounded batch of
// relay events; dispatch stops when an applier's credits run out, keys conflict or the memory
// budget is reached, and resumes on acknowledgements. The checkpoint only ever names a
// transaction boundary all of whose changes have committed downstream; it is flushed every
// half second and at every DDL (stored where the first hold began while shard DDL locks hold
// tables: see shard_holds). Before any change is sent, a high-water mark at or past it is
// persisted; after an unclean stop, events up to that mark are replayed in safe mode, so nothing
// is lost or applied twice; changes to serial groups (tables without a NOT NULL key; tables
// linked by foreign keys) are not idempotent: they are applied exactly once, skipped up to their
// apply marks instead (sync/apply_marks.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "common/metrics.hpp"
#include "io/event_session.hpp"
#include "io/schema_resolver.hpp"
#include "protocol/binlog/stream_decoder.hpp"
#include "protocol/binlog/transaction_tracker.hpp"
#include "protocol/gtid_set.hpp"
#include "protocol/mysql_connection.hpp"
#include "storage/checkpoint_store.hpp"
#include "storage/meta_store.hpp"
#include "storage/relay_log.hpp"
#include "sync/dispatcher.hpp"
#include "sync/event_plan.hpp"
#include "sync/shard_replay.hpp"
#include "sync/table_rules.hpp"

namespace dm {

namespace storage {
class database;
}

struct syncer_actor_state {
  static inline const char* name = "syncer";

  // Configuration and peers.
  std::string task_name;
  std::string label;
  task_config task;
  mysql_instance instance;
  source_config source;
  task_actor parent;
  source_actor relay_source;
  std::unique_ptr<storage::relay_log> relay;
  std::shared_ptr<storage::database> database;
  std::unique_ptr<storage::checkpoint_store> checkpoints;
  std::unique_ptr<storage::meta_store> db_meta;

  // The task's rules for this source, where table structures come from, and the downstream
  // connection schema changes run on.
  std::optional<table_rules> rules;
  std::unique_ptr<schema_resolver> schemas;
  std::optional<mysql_connection> ddl_conn;
  // The server's error number of the last statement that failed on it.
  unsigned ddl_errno = 0;
  // What the upstream's collation ids and SYSTEM time zone mean, for the sessions of schema
  // changes (read once per run, when the first one comes).
  std::optional<upstream_session_facts> session_facts;
  // An operator's pending decision (dmctl handle-error) about one event. Once carried out
  // (`decision_done`) it stays stored until a persisted checkpoint is past its event, so that a
  // crash in between replays the decision, not the event.
  std::optional<operator_decision> decision;
  bool decision_done = false;
  // The task's online-ddl rules, and the online schema changes in progress (stored in the meta
  // store as they change).
  online_ddl_rules online;
  shadow_migrations migrations;

  // Reading.
  binlog::stream_decoder decoder;
  binlog::transaction_tracker tracker;
  relay_progress relay_head;
  relay_key cursor;
  // Upstream file name and index of the event at the cursor.
  std::string current_file;
  uint32_t current_file_index = 0;
  // (segment, file index) whose format description the decoder holds.
  std::pair<uint32_t, uint32_t> format_file{UINT32_MAX, UINT32_MAX};
  gtid_set gtids;
  std::vector<storage::stored_event> pending;
  size_t pending_index = 0;
  // The last event fetched again from the upstream after failing its checksum (a second
  // failure of the same event is not repaired again).
  std::optional<relay_key> repaired;
  bool started = false;
  bool pump_scheduled = false;
  // Why processing is on hold: waiting for credits, for keys to be released, for every applier
  // to drain before a barrier, or for memory.
  enum class hold { none, credit, conflict, drain, memory } holding = hold::none;

  // The event being processed, decoded once, with its plan (both kept while processing waits:
  // decoding has effects on the decoder, the last rows event of a statement retires its table
  // maps).
  std::optional<binlog::decoded_event> decoded;
  relay_key decoded_key;
  event_plan plan;
  // Downstream table definitions read while planning the event (step describe_table).
  table_definitions definitions;
  // The rows of a rows event being dispatched (dispatch can pause mid-event; the decoded event
  // points into `pending`, which is kept meanwhile).
  bool rows_active = false;
  std::vector<binlog::row_change> rows;
  size_t row_index = 0;
  std::shared_ptr<const table_schema> rows_schema;
  std::string rows_target;
  binlog::rows_kind rows_kind = binlog::rows_kind::write;
  relay_key rows_origin;
  // The serial group of the rows' table (apply_marks.hpp); null when its changes are keyed.
  std::shared_ptr<const std::string> rows_group;
  // The table is in a foreign-key group, and the rows were logged with foreign key checks on.
  bool rows_fk_table = false;
  bool rows_fk_checks = false;

  // Dispatch.
  std::vector<applier_actor> appliers;
  std::unique_ptr<dispatcher> dispatch;

  // Checkpointing and safe mode.
  storage::sync_checkpoint checkpoint;
  bool checkpoint_dirty = false;
  // Upstream time of the checkpoint's last event, for lag.
  uint32_t checkpoint_event_time = 0;
  // Replay in safe mode while the cursor is below this key.
  relay_key safe_until;

  // Counters, and tables replicated without a usable key (for query-status warnings).
  uint64_t events_applied = 0;
  uint64_t rows_applied = 0;
  std::set<std::string> keyless_tables;
  // Stopping (stop_syncer): nothing more is dispatched while the appliers end.
  bool stopping = false;
  caf::error stop_reason;
  size_t appliers_running = 0;
  std::chrono::steady_clock::time_point stop_deadline;
  // The meta tables exist downstream (created once per run, before the first change leaves).
  bool meta_tables_ready = false;
  // When the syncer's own checkpoint row was written downstream, and its checkpoint then.
  std::chrono::steady_clock::time_point downstream_row_at;
  relay_key downstream_row_next;
  // Metrics series of this (task, source); owned by the global registry.
  struct {
    metrics::gauge* file = nullptr;
    metrics::gauge* pos = nullptr;
    metrics::counter* rows = nullptr;
    metrics::counter* events = nullptr;
    metrics::gauge* bytes_in_flight = nullptr;
    metrics::gauge* master_file = nullptr;
    metrics::gauge* master_pos = nullptr;
    metrics::counter* transactions = nullptr;
  } metric;
  // shard-mode pessimistic (sync/shard_locks.hpp): the worker's lock coordinator, and the
  // upstream shard tables whose changes are held until their DDL lock resolves, with the merged
  // table `db`.`table`. While any is held the stored checkpoint stays where the first hold
  // began, with a replay plan saying what after it was applied: once a lock resolves the syncer
  // stops and starts again from there, applying the held changes (sync/shard_replay.hpp).
  shard_coordinator_actor coordinator;
  struct shard_hold {
    std::string target;
    // The key of the table's schema change, and the checkpoint just before it.
    relay_key start;
    storage::sync_checkpoint before;
  };
  std::map<upstream_table, shard_hold> shard_holds;
  // What the run started with was applied before (sync/shard_replay.hpp), and whether a plan
  // is stored now.
  std::optional<replay_plan> replay;
  bool replay_stored = false;
  // A lock it held tables for resolved (its merged table): it reads no further and stops once
  // its appliers committed what they have.
  std::optional<std::string> replay_pending;
  // Keyless and foreign-key linked tables that a full migration copied at a later snapshot than
  // where sync starts ("db" NUL "table" -> key of that snapshot): their row events before it are
  // already in the copy and are skipped.
  std::map<std::string, relay_key> table_starts;
};

// `worker_name` labels the metrics (DM's `worker` label).
syncer_actor::behavior_type syncer(syncer_actor::stateful_pointer<syncer_actor_state> self,
                                   task_config task, source_config source,
                                   std::shared_ptr<storage::database> db, task_actor parent,
                                   source_actor relay_source, std::string worker_name);

}  // namespace dm
