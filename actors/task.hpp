// One (task, source): supervises the task's units on that source: for task-mode full and all
// first the dumper and the loader side by side (until the load is finished, as recorded in
// RocksDB), then for incremental and all the syncer. A unit that fails with a
// resumable error is restarted from its checkpoint with exponential backoff; after too many
// failures in a window, or on an error retrying cannot fix, the subtask goes to Paused with the
// error, visible in query-status.
//
// A unit that stops on an event (a DDL or row change the downstream refuses) reports the event;
// the subtask pauses there until the operator decides (handle-error: skip or replace), which
// is stored before the unit restarts, so a crash in between keeps the decision.
//
// The dumper and the loader fail and restart together (both resume from their records).
//
// Stopping: on an exit message the task first stops its units and waits for them to end (so
// that their last checkpoints are written), then ends itself.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "actors/interfaces.hpp"

namespace dm {

namespace storage {
class database;
}

// The running units of a task actor (invalid handles when not running).
struct task_units {
  syncer_actor syncer;
  dumper_actor dumper;
  loader_actor loader;
  // Rechecks the chunks recorded loaded before dump and load resume (loaded_chunks.hpp).
  caf::actor load_check;

  bool any() const { return syncer || dumper || loader || load_check; }
};

struct task_metrics;

struct task_actor_state {
  static inline const char* name = "task";

  task_config config;
  source_config source;
  worker_settings worker;
  std::shared_ptr<storage::database> db;
  source_actor relay_source;
  std::shared_ptr<task_units> units;
  // "Running", "Paused" or "Finished" (task-mode full, everything loaded).
  std::string stage = "Running";
  // "Dump" (dump and load run), "Load" (the dump is done), or "Sync".
  std::string unit = "Sync";
  std::string last_error;
  uint32_t restarts = 0;
  std::chrono::milliseconds backoff{0};
  std::deque<std::chrono::steady_clock::time_point> recent_failures;
  bool stopping = false;
  caf::error stop_reason;

  sync_progress progress;
  dump_counters dump;
  load_counters load;
  // Rate of rows loaded, over the last report interval.
  uint64_t load_rate_rows = 0;
  std::chrono::steady_clock::time_point load_rate_time;
  double load_rows_per_second = 0;
  // The relay event the syncer stopped on, when it stopped on one (cleared on resume).
  std::optional<storage::relay_key> failed_key;
  binlog_position failed_position;
  // Rate of rows applied, over the last report interval.
  uint64_t rate_rows = 0;
  std::chrono::steady_clock::time_point rate_time;
  double rows_per_second = 0;
  // Its series on the metrics endpoint.
  std::shared_ptr<task_metrics> metrics;
};

// `paused`: the operator paused the task (pause-task) and it starts without its units.
task_actor::behavior_type task(task_actor::stateful_pointer<task_actor_state> self,
                               task_config config, source_config source,
                               std::shared_ptr<storage::database> db, source_actor relay_source,
                               worker_settings worker, bool paused);

}  // namespace dm
