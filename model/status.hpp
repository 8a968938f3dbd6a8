// Status records the worker reports to dmctl (query-status, operate-source show, list-member).
// They cross hosts, so each has an inspect overload; dmctl renders them as text or JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/position.hpp"
#include "model/stages.hpp"

namespace dm {

struct relay_status {
  relay_stage stage = relay_stage::connecting;
  // The newest upstream position the relay knows of (from events and heartbeats).
  binlog_position upstream;
  // Where the relay log ends: the upstream position just after the last stored event.
  binlog_position relay;
  std::string relay_gtid;
  uint64_t events_stored = 0;
  uint64_t bytes_stored = 0;
  // Seconds between the newest stored event's time and now, while the relay is behind.
  int64_t lag_seconds = 0;
  std::string last_error;
  uint32_t reconnects = 0;
  // Binlog files the relay log holds (some events of).
  uint32_t files_stored = 0;
  // What the last purge removed, and why, e.g. "binlog.000001..binlog.000003 (expires)".
  std::string last_purge;
};

// What a relay purge removed and kept.
struct purge_result {
  std::string source_id;
  std::vector<std::string> purged;
  // Files the purge would have removed but a task still needs, with the task.
  std::vector<std::string> kept;
};

struct source_status {
  std::string source_id;
  std::string worker;
  // host:port of the upstream.
  std::string upstream;
  relay_status relay;
};

// The part of a task that runs on one source.
// Progress of the dump and load of one (task, source), for query-status.
struct migration_progress {
  uint32_t tables_total = 0;
  uint32_t tables_loaded = 0;
  uint32_t chunks_total = 0;
  uint32_t chunks_dumped = 0;
  uint32_t chunks_loaded = 0;
  uint64_t rows_total = 0;
  uint64_t rows_dumped = 0;
  uint64_t rows_loaded = 0;
  uint64_t bytes_dumped = 0;
  uint64_t bytes_loaded = 0;
  // Rows loaded per second over the last interval; seconds until the load ends at that rate
  // (-1 while unknown).
  double rows_per_second = 0;
  int64_t eta_seconds = -1;
};

struct subtask_status {
  std::string source_id;
  std::string worker;
  task_stage stage = task_stage::running;
  // The unit that runs, or would go on when resumed.
  task_unit unit = task_unit::sync;
  // Everything before this upstream position is applied downstream.
  binlog_position synced;
  std::string synced_gtid;
  // The end of the relay log.
  binlog_position relay;
  // Applied everything the upstream has written so far.
  bool synced_upstream = false;
  // Upstream time of the newest applied event, against now.
  int64_t lag_seconds = 0;
  uint64_t events_applied = 0;
  uint64_t rows_applied = 0;
  double rows_per_second = 0;
  bool safe_mode = false;
  uint32_t restarts = 0;
  std::string last_error;
  // Where the syncer stopped on an event that failed (empty file when it did not): the target
  // of dmctl handle-error.
  binlog_position error_position;
  // Bytes of row changes dispatched and not yet committed downstream.
  uint64_t bytes_in_flight = 0;
  // Conditions worth knowing that do not stop the task (e.g. tables without a key).
  std::vector<std::string> warnings;
  // Dump and load progress (task-mode full and all).
  migration_progress migration;
};

// A shard DDL lock (shard-mode: pessimistic): a schema change of tables merged into one, held
// until every shard table of the merge has made it (sync/shard_locks.hpp).
struct shard_lock_status {
  // DM's lock id: "<task>-`db`.`table`" of the merged table.
  std::string id;
  std::string task;
  std::string mode = "pessimistic";
  // The merged table, `db`.`table`.
  std::string target;
  // The change, as it runs on the merged table.
  std::vector<std::string> ddls;
  // The shard that runs it downstream once every shard made it (or the first to arrive).
  std::string owner;
  // Shards that made the change ("source `db`.`table` at file:pos"), and shards awaited.
  std::vector<std::string> synced;
  std::vector<std::string> unsynced;
  // Unix seconds of the first shard's arrival.
  int64_t since = 0;
  // "waiting" (for shards), "executing" (the owner runs the change).
  std::string state;
  // Waiting longer than the worker's shard-lock-report-after.
  bool overdue = false;
};

struct task_status {
  std::string name;
  task_stage stage = task_stage::running;
  dm::task_mode task_mode = dm::task_mode::incremental;
  std::vector<subtask_status> subtasks;
  // Its shard DDL locks on this worker (shard-mode: pessimistic).
  std::vector<shard_lock_status> shard_locks;
};

struct status_reply {
  std::vector<task_status> tasks;
  std::vector<source_status> sources;
};

// One item of a task's precheck (check-task, and start-task before it starts anything).
struct check_item {
  std::string source_id;
  // DM's item names: "version", "server_id", "binlog_enable", "binlog_format",
  // "binlog_row_image", "dump_privilege", "replication_privilege", "table_schema", and ours:
  // "upstream_connection", "downstream_connection", "target_privilege", "collation",
  // "local_infile".
  std::string name;
  // "ok", "warn" (worth knowing, does not stop the task) or "fail".
  std::string state;
  // For a failure: what is missing and the GRANT or setting that fixes it.
  std::string message;
};

struct member_info {
  std::string name;
  std::string addr;
  // "online" for a worker that answered.
  std::string state;
  std::vector<std::string> sources;
  std::vector<std::string> tasks;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_status& x) {
  return f(x.stage, x.upstream, x.relay, x.relay_gtid, x.events_stored, x.bytes_stored,
           x.lag_seconds, x.last_error, x.reconnects, x.files_stored, x.last_purge);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, purge_result& x) {
  return f(x.source_id, x.purged, x.kept);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_status& x) {
  return f(x.source_id, x.worker, x.upstream, x.relay);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subtask_status& x) {
  return f(x.source_id, x.worker, x.stage, x.unit, x.synced, x.synced_gtid, x.relay,
           x.synced_upstream, x.lag_seconds, x.events_applied, x.rows_applied,
           x.rows_per_second, x.safe_mode, x.restarts, x.last_error, x.error_position,
           x.bytes_in_flight, x.warnings, x.migration);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, migration_progress& x) {
  return f(x.tables_total, x.tables_loaded, x.chunks_total, x.chunks_dumped, x.chunks_loaded,
           x.rows_total, x.rows_dumped, x.rows_loaded, x.bytes_dumped, x.bytes_loaded,
           x.rows_per_second, x.eta_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, check_item& x) {
  return f(x.source_id, x.name, x.state, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_status& x) {
  return f(x.name, x.stage, x.task_mode, x.subtasks, x.shard_locks);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_lock_status& x) {
  return f(x.id, x.task, x.mode, x.target, x.ddls, x.owner, x.synced, x.unsynced, x.since,
           x.state, x.overdue);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_reply& x) {
  return f(x.tasks, x.sources);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(x.name, x.addr, x.state, x.sources, x.tasks);
}

}  // namespace dm
