// One (task, source): supervises the task's unit on that source. A unit that fails with a
// resumable error is restarted from its checkpoint with exponential backoff; after too many
// failures in a window, or on an error retrying cannot fix, the subtask goes to Paused with the
// error, visible in query-status.
//
// A unit that stops on an event (a DDL or row change the downstream refuses) reports the event;
// the subtask pauses there until the operator decides (handle-error: skip or replace), which
// is stored before the unit restarts, so a crash in between keeps the decision.
//
// Stopping: on an exit message the task first stops its unit and waits for it to end (so that
// its last checkpoint is written), then ends itself.
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

struct task_actor_state {
  static inline const char* name = "task";

  task_config config;
  source_config source;
  std::string worker_name;
  std::shared_ptr<storage::database> db;
  source_actor relay_source;
  std::shared_ptr<syncer_actor> unit;
  // "Running" or "Paused"
  std::string stage = "Running";
  std::string last_error;
  uint32_t restarts = 0;
  std::chrono::milliseconds backoff{0};
  std::deque<std::chrono::steady_clock::time_point> recent_failures;
  bool stopping = false;
  caf::error stop_reason;

  sync_progress progress;
  // The relay event the syncer stopped on, when it stopped on one (cleared on resume).
  std::optional<storage::relay_key> failed_key;
  binlog_position failed_position;
  // Rate of rows applied, over the last report interval.
  uint64_t rate_rows = 0;
  std::chrono::steady_clock::time_point rate_time;
  double rows_per_second = 0;
};

task_actor::behavior_type task(task_actor::stateful_pointer<task_actor_state> self,
                               task_config config, source_config source,
                               std::shared_ptr<storage::database> db, source_actor relay_source,
                               std::string worker_name);

}  // namespace dm
