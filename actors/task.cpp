#include "actors/task.hpp"

#include <algorithm>
#include <ctime>

#include <caf/all.hpp>

#include "actors/handle_error.hpp"
#include "actors/syncer.hpp"
#include "storage/meta_store.hpp"
#include "protocol/log.hpp"

namespace dm {

namespace {

using self_ptr = task_actor::stateful_pointer<task_actor_state>;

constexpr std::chrono::milliseconds first_backoff{1000};
constexpr std::chrono::milliseconds max_backoff{60000};
// A unit failing this often within the window pauses the subtask.
constexpr size_t max_failures = 10;
constexpr auto failure_window = std::chrono::minutes{10};

std::string label(const task_actor_state& st) {
  return "task " + st.config.name + " on source " + st.source.source_id;
}

void start_unit(self_ptr self) {
  auto& st = self->state;
  *st.unit = self->spawn<caf::detached + caf::monitored>(syncer, st.config, st.source, st.db,
                                                         task_actor{self}, st.relay_source);
}

void on_unit_down(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  *st.unit = syncer_actor{};
  if (st.stopping) {
    self->quit(st.stop_reason);
    return;
  }
  if (!reason || reason == caf::exit_reason::user_shutdown) return;
  st.last_error = describe(reason);
  auto now = std::chrono::steady_clock::now();
  st.recent_failures.push_back(now);
  while (!st.recent_failures.empty() && now - st.recent_failures.front() > failure_window)
    st.recent_failures.pop_front();
  if (!is_resumable(reason) || st.recent_failures.size() >= max_failures) {
    st.stage = "Paused";
    DM_ERROR("{} paused: {}", label(st), st.last_error);
    return;
  }
  ++st.restarts;
  st.backoff = std::min(max_backoff, st.backoff.count() ? st.backoff * 2 : first_backoff);
  DM_WARN("{} restarts its syncer in {} ms: {}", label(st), st.backoff.count(), st.last_error);
  self->delayed_send(self, st.backoff, restart_atom_v);
}

subtask_status make_status(const task_actor_state& st) {
  subtask_status s;
  s.source_id = st.source.source_id;
  s.worker = st.worker_name;
  s.stage = st.stage;
  s.unit = "Sync";
  s.synced = st.progress.synced;
  s.synced_gtid = st.progress.synced_gtid;
  s.relay = st.progress.relay;
  s.synced_upstream = st.stage == "Running" && st.progress.caught_up;
  if (!s.synced_upstream && st.progress.last_event_time)
    s.lag_seconds = std::max<int64_t>(0, std::time(nullptr) - st.progress.last_event_time);
  s.events_applied = st.progress.events_applied;
  s.rows_applied = st.progress.rows_applied;
  s.rows_per_second = st.rows_per_second;
  s.safe_mode = st.progress.safe_mode;
  s.restarts = st.restarts;
  s.last_error = st.last_error;
  if (st.failed_key) s.error_position = st.failed_position;
  s.bytes_in_flight = st.progress.bytes_in_flight;
  for (auto& table : st.progress.keyless_tables)
    s.warnings.push_back("table " + table +
                         " has no primary key or NOT NULL unique key: its changes are matched "
                         "on all columns, one row at a time; add a key for speed");
  return s;
}

}  // namespace

task_actor::behavior_type task(task_actor::stateful_pointer<task_actor_state> self,
                               task_config config, source_config source,
                               std::shared_ptr<storage::database> db, source_actor relay_source,
                               std::string worker_name) {
  auto& st = self->state;
  st.config = std::move(config);
  st.source = std::move(source);
  st.db = std::move(db);
  st.relay_source = std::move(relay_source);
  st.worker_name = std::move(worker_name);
  st.unit = std::make_shared<syncer_actor>();
  st.rate_time = std::chrono::steady_clock::now();
  // If the task ends without its exit handler (a crash of the actor), still stop the unit.
  self->attach_functor([unit = st.unit] {
    if (*unit) caf::anon_send_exit(*unit, caf::exit_reason::user_shutdown);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    st.stopping = true;
    st.stop_reason = msg.reason;
    if (*st.unit) self->send_exit(*st.unit, caf::exit_reason::user_shutdown);
    else self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    if (msg.source == *self->state.unit) on_unit_down(self, msg.reason);
  });
  start_unit(self);
  return {
      [=](progress_atom, sync_progress& p) {
        auto& st = self->state;
        auto now = std::chrono::steady_clock::now();
        auto elapsed = std::chrono::duration<double>(now - st.rate_time).count();
        if (elapsed >= 1.0) {
          st.rows_per_second = (p.rows_applied - st.rate_rows) / elapsed;
          st.rate_rows = p.rows_applied;
          st.rate_time = now;
        }
        if (p.rows_applied < st.rate_rows) st.rate_rows = p.rows_applied;  // a new unit
        if (p.failed) {
          st.failed_key = p.failed_key;
          st.failed_position = p.failed_position;
        }
        st.progress = std::move(p);
        if (st.progress.caught_up && !st.last_error.empty() && st.stage == "Running") {
          // Recovered: the error is history; keep the restart count.
          st.last_error.clear();
          st.failed_key.reset();
          st.backoff = std::chrono::milliseconds{0};
        }
      },
      [=](restart_atom) {
        auto& st = self->state;
        if (!*st.unit && !st.stopping && st.stage == "Running") start_unit(self);
      },
      [=](handle_error_atom, const std::string& action,
          const std::string& sql) -> caf::result<subtask_status> {
        auto& st = self->state;
        if (st.stage != "Paused" || !st.failed_key)
          return make_error(ec::invalid_state,
                            label(st) + " is not paused on a failed event; nothing to handle");
        if (action != "skip" && action != "replace")
          return make_error(ec::invalid_argument, "handle-error takes skip or replace, not '" +
                                                      action + "'");
        if (action == "replace" && split_statements(sql).empty())
          return make_error(ec::invalid_argument,
                            "handle-error replace needs the SQL to run instead of the event");
        storage::meta_store meta{st.db};
        if (auto err = save_decision(meta, st.config.name, st.source.source_id,
                                     {*st.failed_key, action, sql}))
          return err;
        DM_INFO("{} resumes: the operator chose to {} the event at {}", label(st), action,
                to_string(st.failed_position));
        st.failed_key.reset();
        st.failed_position = {};
        st.stage = "Running";
        st.last_error.clear();
        st.recent_failures.clear();
        st.backoff = std::chrono::milliseconds{0};
        if (!*st.unit) start_unit(self);
        return make_status(st);
      },
      [=](status_atom) { return make_status(self->state); },
  };
}

}  // namespace dm
