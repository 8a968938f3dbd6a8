// One (task, source): supervises the task's units on that source: for task-mode full and all
// first a check of what the copy already loaded, then the dumper and the loader side by side
// (until the load is finished, as recorded in RocksDB), then for incremental and all the syncer.
// A unit that fails with a resumable error is restarted from its checkpoint after a backoff
// (defaults::unit_restart, common/restart_policy.hpp); after too many failures in a window, or
// on an error retrying cannot fix, the subtask goes to Paused with the error, visible in
// query-status.
//
// A unit that stops on an event (a DDL or row change the downstream refuses) reports the event;
// the subtask pauses there until the operator decides (handle-error: skip or replace), which
// is stored before the unit restarts, so a crash in between keeps the decision.
//
// The dumper and the loader fail and restart together (both resume from their records).
//
// Stopping: on an exit message the task first stops its units and waits for them to end (so
// that their last checkpoints are written), killing any unit still running after
// defaults::shutdown_grace, then ends itself.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "actors/interfaces.hpp"
#include "common/restart_policy.hpp"

namespace dm {

namespace storage {
class database;
}

// The running units of a task actor (invalid handles when not running).
struct task_units {
  syncer_actor syncer;
  dumper_actor dumper;
  loader_actor loader;
  // Rechecks the chunks recorded loaded before dump and load resume (io/loaded_chunks.hpp).
  caf::actor load_check;

  bool any() const { return syncer || dumper || loader || load_check; }
};

struct task_metrics;
struct task_actor_state;
using task_self = task_actor::stateful_pointer<task_actor_state>;

// How a task part spawns its units, each monitored by the task: real_units() in the worker,
// stand-ins in tests (then the task's supervision runs without servers).
struct unit_spawner {
  std::function<syncer_actor(task_self)> syncer;
  std::function<loader_actor(task_self)> loader;
  std::function<dumper_actor(task_self, loader_actor)> dumper;
  // Ends normally once the copy's loaded chunks are checked, or with the error.
  std::function<caf::actor(task_self)> load_check;
};

// The real units of a task part.
unit_spawner real_units();

struct task_actor_state {
  static inline const char* name = "task";

  task_config config;
  source_config source;
  worker_settings worker;
  std::shared_ptr<storage::database> db;
  source_actor relay_source;
  store_actor store;
  unit_spawner spawn;
  std::shared_ptr<task_units> units;
  task_stage stage = task_stage::running;
  // The unit that runs, or would go on when resumed.
  task_unit unit = task_unit::sync;
  std::string last_error;
  uint32_t restarts = 0;
  restart_policy restart{};
  std::mt19937_64 random{std::random_device{}()};
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
  std::optional<relay_key> failed_key;
  binlog_position failed_position;
  // Rate of rows applied, over the last report interval.
  uint64_t rate_rows = 0;
  std::chrono::steady_clock::time_point rate_time;
  double rows_per_second = 0;
  // Its series on the metrics endpoint.
  std::shared_ptr<task_metrics> metrics;
};

// `paused`: the operator paused the task (pause-task) and it starts without its units. `store`
// runs its blocking writes.
task_actor::behavior_type task(task_self self, task_config config, source_config source,
                               std::shared_ptr<storage::database> db, source_actor relay_source,
                               store_actor store, worker_settings worker, bool paused,
                               unit_spawner spawn);

}  // namespace dm
