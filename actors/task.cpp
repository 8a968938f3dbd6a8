#include "actors/task.hpp"

#include <algorithm>
#include <ctime>

#include <caf/all.hpp>

#include "actors/dumper.hpp"
#include "actors/connection_settings.hpp"
#include "actors/handle_error.hpp"
#include "actors/loaded_chunks.hpp"
#include "actors/loader.hpp"
#include "actors/metrics.hpp"
#include "actors/syncer.hpp"
#include "storage/dump_store.hpp"
#include "storage/meta_store.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/log.hpp"

namespace dm {

// The (task, source)'s series on the metrics endpoint, refreshed from its status every
// metrics_interval; the syncer and the relay publish their own.
struct task_metrics {
  metrics::gauge* stage;
  metrics::gauge* restarts;
  metrics::gauge* failing;
  metrics::gauge* sync_lag;
  metrics::gauge* sync_rate;
  metrics::gauge* dump_rows;
  metrics::gauge* dump_chunks;
  metrics::gauge* dump_bytes;
  metrics::gauge* rows_total;
  metrics::gauge* load_rows;
  metrics::gauge* load_chunks;
  metrics::gauge* load_bytes;
  metrics::gauge* load_rate;
  metrics::gauge* load_queue;

  explicit task_metrics(const task_actor_state& st) {
    auto& reg = metrics::registry::global();
    metrics::labels l{{"task", st.config.name}, {"source", st.source.source_id}};
    auto g = [&](const char* name, const char* help) { return reg.get_gauge(name, help, l); };
    stage = g("dm_task_stage", "Stage of the task on the source: 1 Running, 2 Paused, 3 Finished");
    restarts = g("dm_task_unit_restarts", "Times a failed unit of the task was restarted");
    failing = g("dm_task_error", "1 while the task has an error (see query-status last_error)");
    sync_lag = g("dm_sync_lag_seconds", "Seconds the syncer is behind the upstream");
    sync_rate = g("dm_sync_rows_per_second", "Row changes applied per second");
    dump_rows = g("dm_dump_rows", "Rows dumped");
    dump_chunks = g("dm_dump_chunks", "Chunks dumped");
    dump_bytes = g("dm_dump_bytes", "Bytes of dump files written");
    rows_total = g("dm_dump_rows_planned", "Rows the dump plans to copy");
    load_rows = g("dm_load_rows", "Rows loaded downstream");
    load_chunks = g("dm_load_chunks", "Chunks loaded downstream");
    load_bytes = g("dm_load_bytes", "Bytes of dump files loaded");
    load_rate = g("dm_load_rows_per_second", "Rows loaded per second");
    load_queue = g("dm_load_queue_chunks", "Chunks dumped and waiting to be loaded");
  }

  void publish(const subtask_status& s) {
    stage->set(s.stage == "Running" ? 1 : s.stage == "Paused" ? 2 : 3);
    restarts->set(s.restarts);
    failing->set(s.last_error.empty() ? 0 : 1);
    sync_lag->set(static_cast<double>(s.lag_seconds));
    sync_rate->set(s.rows_per_second);
    auto& m = s.migration;
    dump_rows->set(static_cast<double>(m.rows_dumped));
    dump_chunks->set(m.chunks_dumped);
    dump_bytes->set(static_cast<double>(m.bytes_dumped));
    rows_total->set(static_cast<double>(m.rows_total));
    load_rows->set(static_cast<double>(m.rows_loaded));
    load_chunks->set(m.chunks_loaded);
    load_bytes->set(static_cast<double>(m.bytes_loaded));
    load_rate->set(m.rows_per_second);
    load_queue->set(m.chunks_dumped >= m.chunks_loaded ? m.chunks_dumped - m.chunks_loaded : 0);
  }
};

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

std::string dump_dir(const task_actor_state& st) {
  return dump_dir_of(st.config, st.source.source_id, st.worker.data_dir);
}

void start_syncer(self_ptr self) {
  auto& st = self->state;
  st.unit = "Sync";
  st.units->syncer = self->spawn<caf::detached + caf::monitored>(
      syncer, st.config, st.source, st.db, task_actor{self}, st.relay_source);
}

// What the task has to do next, as recorded in RocksDB: "Dump" (dump and load, until the load is
// recorded finished), "Finished" (task-mode full, everything loaded) or "Sync".
caf::expected<std::string> next_unit(const task_actor_state& st) {
  if (st.config.task_mode == "incremental") return std::string{"Sync"};
  storage::dump_store store{st.db, st.config.name, st.source.source_id};
  auto finished = store.load_finished();
  if (!finished) return finished.error();
  if (!*finished) return std::string{"Dump"};
  return std::string{st.config.task_mode == "full" ? "Finished" : "Sync"};
}

void start_dump_and_load(self_ptr self) {
  auto& st = self->state;
  auto dir = dump_dir(st);
  st.units->loader = self->spawn<caf::monitored>(loader, st.config, st.source.source_id, st.db,
                                                 task_actor{self}, dir);
  st.units->dumper = self->spawn<caf::detached + caf::monitored>(
      dumper, st.config, st.source, st.db, task_actor{self}, st.units->loader, dir);
}

// Before dump and load (re)start: chunks recorded loaded whose rows are not downstream any more
// go back to be dumped and loaded again (loaded_chunks.hpp). Runs on a thread of its own and
// ends normally, or with the error; on_unit_down then starts the dump and load.
void start_load_check(self_ptr self) {
  auto& st = self->state;
  auto db = st.db;
  auto task_name = st.config.name;
  auto source_id = st.source.source_id;
  auto target = st.config.target_database;
  auto label = "loader of task " + task_name + " on source " + source_id;
  st.units->load_check = self->spawn<caf::detached + caf::monitored>(
      [=](caf::event_based_actor* checker) -> caf::behavior {
        storage::dump_store store{db, task_name, source_id};
        auto chunks = store.chunks();
        caf::error err;
        if (!chunks) {
          err = chunks.error();
        } else if (std::any_of(chunks->begin(), chunks->end(), [](const auto& c) {
                     return c.stage == storage::chunk_stage::loaded;
                   })) {
          auto conn = open_downstream_session(to_connection_params(target),
                                              "downstream of task " + task_name);
          if (!conn) err = conn.error();
          else if (auto n = recheck_loaded_chunks(*conn, store, label); !n) err = n.error();
        }
        checker->quit(err);
        return {};
      });
}

// Starts what the task still has to do (next_unit).
void start_units(self_ptr self) {
  auto& st = self->state;
  auto unit = next_unit(st);
  if (!unit) {
    st.stage = "Paused";
    st.last_error = describe(unit.error());
    return;
  }
  if (*unit == "Dump") {
    st.unit = "Dump";
    start_load_check(self);
  } else if (*unit == "Finished") {
    st.stage = "Finished";
    st.unit = "Finished";
  } else {
    start_syncer(self);
  }
}

void stop_units(self_ptr self) {
  auto& u = *self->state.units;
  if (u.syncer) self->send_exit(u.syncer, caf::exit_reason::user_shutdown);
  if (u.dumper) self->send_exit(u.dumper, caf::exit_reason::user_shutdown);
  if (u.loader) self->send_exit(u.loader, caf::exit_reason::user_shutdown);
  // The load check ends by itself, soon.
}

void on_unit_failure(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
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
  DM_WARN("{} restarts its {} unit in {} ms: {}", label(st), st.unit, st.backoff.count(),
          st.last_error);
  self->delayed_send(self, st.backoff, restart_atom_v);
}

void on_unit_down(self_ptr self, const caf::actor_addr& source, const caf::error& reason) {
  auto& st = self->state;
  auto& u = *st.units;
  bool failed = reason && reason != caf::exit_reason::user_shutdown;
  if (source == u.syncer) {
    u.syncer = syncer_actor{};
  } else if (source == u.load_check) {
    u.load_check = caf::actor{};
    if (!failed && !st.stopping && st.stage == "Running") return start_dump_and_load(self);
  } else if (source == u.dumper) {
    u.dumper = dumper_actor{};
    if (!failed && u.loader) st.unit = "Load";
    // The dumper and the loader restart together.
    if (failed && u.loader) self->send_exit(u.loader, caf::exit_reason::user_shutdown);
  } else if (source == u.loader) {
    u.loader = loader_actor{};
    if (failed && u.dumper) self->send_exit(u.dumper, caf::exit_reason::user_shutdown);
    if (!reason && !st.stopping) {
      // The load is finished and recorded; go on with sync (all) or finish (full).
      DM_INFO("{} finished its full migration", label(st));
      start_units(self);
      return;
    }
  } else {
    return;
  }
  if (st.stopping) {
    if (!u.any()) self->quit(st.stop_reason);
    return;
  }
  if (failed) on_unit_failure(self, reason);
}

constexpr auto metrics_interval = std::chrono::seconds{1};

subtask_status make_status(const task_actor_state& st) {
  subtask_status s;
  s.source_id = st.source.source_id;
  s.worker = st.worker.name;
  s.stage = st.stage;
  s.unit = st.unit;
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
  auto& m = s.migration;
  m.tables_total = st.dump.tables_total;
  m.chunks_total = st.dump.chunks_total;
  m.chunks_dumped = st.dump.chunks_dumped;
  m.rows_total = st.dump.rows_total;
  m.rows_dumped = st.dump.rows_dumped;
  m.bytes_dumped = st.dump.bytes_dumped;
  m.tables_loaded = st.load.tables_loaded;
  m.chunks_loaded = st.load.chunks_loaded;
  m.rows_loaded = st.load.rows_loaded;
  m.bytes_loaded = st.load.bytes_loaded;
  m.rows_per_second = st.load_rows_per_second;
  if (st.unit == "Dump" || st.unit == "Load") {
    if (st.load_rows_per_second > 0 && m.rows_total >= m.rows_loaded)
      m.eta_seconds = static_cast<int64_t>((m.rows_total - m.rows_loaded) / st.load_rows_per_second);
  } else if (st.config.task_mode != "incremental" && m.chunks_total > 0) {
    m.eta_seconds = 0;
  }
  return s;
}

}  // namespace

task_actor::behavior_type task(task_actor::stateful_pointer<task_actor_state> self,
                               task_config config, source_config source,
                               std::shared_ptr<storage::database> db, source_actor relay_source,
                               worker_settings worker, bool paused) {
  auto& st = self->state;
  st.config = std::move(config);
  st.source = std::move(source);
  st.db = std::move(db);
  st.relay_source = std::move(relay_source);
  st.worker = std::move(worker);
  st.units = std::make_shared<task_units>();
  st.rate_time = st.load_rate_time = std::chrono::steady_clock::now();
  // If the task ends without its exit handler (a crash of the actor), still stop the units.
  self->attach_functor([units = st.units] {
    for (auto handle : {caf::actor_cast<caf::actor>(units->syncer),
                        caf::actor_cast<caf::actor>(units->dumper),
                        caf::actor_cast<caf::actor>(units->loader)})
      if (handle) caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    st.stopping = true;
    st.stop_reason = msg.reason;
    if (st.units->any()) stop_units(self);
    else self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& msg) { on_unit_down(self, msg.source, msg.reason); });
  st.metrics = std::make_shared<task_metrics>(st);
  self->send(self, tick_atom_v);
  if (paused) {
    // Paused where it would go on: its status shows that unit.
    auto unit = next_unit(st);
    st.unit = unit ? *unit : "Sync";
    st.stage = st.unit == "Finished" ? "Finished" : "Paused";
    if (!unit) st.last_error = describe(unit.error());
    DM_INFO("{} stays paused (pause-task) until resume-task", label(st));
  } else {
    start_units(self);
  }
  return {
      [=](progress_atom, sync_progress& p) {
        auto& st = self->state;
        auto now = std::chrono::steady_clock::now();
        if (p.rows_applied < st.rate_rows) {
          // A new syncer counts from 0: the rate starts over with it.
          st.rate_rows = p.rows_applied;
          st.rate_time = now;
        }
        auto elapsed = std::chrono::duration<double>(now - st.rate_time).count();
        if (elapsed >= 1.0) {
          st.rows_per_second = static_cast<double>(p.rows_applied - st.rate_rows) / elapsed;
          st.rate_rows = p.rows_applied;
          st.rate_time = now;
        }
        if (p.failed) {
          st.failed_key = p.failed_key;
          st.failed_position = p.failed_position;
        }
        st.progress = std::move(p);
        if (st.progress.caught_up && !st.last_error.empty() && st.stage == "Running") {
          // Recovered: the error is history, and so are the failures counting towards a
          // pause (one outage of a peer must not use up the budget of the next); keep the
          // restart count.
          st.last_error.clear();
          st.failed_key.reset();
          st.recent_failures.clear();
          st.backoff = std::chrono::milliseconds{0};
        }
      },
      [=](progress_atom, dump_counters& c) { self->state.dump = c; },
      [=](tick_atom) {
        self->state.metrics->publish(make_status(self->state));
        self->delayed_send(self, metrics_interval, tick_atom_v);
      },
      [=](progress_atom, load_counters& c) {
        auto& st = self->state;
        auto now = std::chrono::steady_clock::now();
        auto elapsed = std::chrono::duration<double>(now - st.load_rate_time).count();
        if (c.rows_loaded < st.load_rate_rows) {  // restarted
          st.load_rate_rows = c.rows_loaded;
          st.load_rate_time = now;
        }
        if (elapsed >= 1.0) {
          st.load_rows_per_second = (c.rows_loaded - st.load_rate_rows) / elapsed;
          st.load_rate_rows = c.rows_loaded;
          st.load_rate_time = now;
        }
        st.load = c;
      },
      [=](restart_atom) {
        auto& st = self->state;
        if (st.stopping || st.stage != "Running") return;
        // A unit still ending (the other of dumper and loader) is waited for.
        if (st.units->any()) {
          self->delayed_send(self, std::chrono::milliseconds{200}, restart_atom_v);
          return;
        }
        start_units(self);
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
        if (!st.units->any()) start_units(self);
        return make_status(st);
      },
      [=](pause_task_atom) -> subtask_status {
        auto& st = self->state;
        if (st.stage == "Finished") return make_status(st);
        st.stage = "Paused";
        DM_INFO("{} paused by the operator", label(st));
        if (st.units->any()) stop_units(self);
        return make_status(st);
      },
      [=](resume_task_atom) -> subtask_status {
        auto& st = self->state;
        if (st.stage != "Paused") return make_status(st);
        DM_INFO("{} resumed by the operator", label(st));
        st.stage = "Running";
        st.last_error.clear();
        st.failed_key.reset();
        st.failed_position = {};
        st.recent_failures.clear();
        st.backoff = std::chrono::milliseconds{0};
        // Units still ending from the pause are waited for by restart_atom.
        if (st.units->any()) self->send(self, restart_atom_v);
        else start_units(self);
        return make_status(st);
      },
      [=](update_task_atom, task_config& updated) -> caf::result<subtask_status> {
        auto& st = self->state;
        if (st.stage != "Paused")
          return make_error(ec::invalid_state, label(st) + " is " + st.stage +
                                                   "; pause it (pause-task) before update-task");
        if (st.units->any())
          return make_error(ec::invalid_state,
                            label(st) + " is still stopping its units; try again in a moment");
        auto unit = next_unit(st);
        if (!unit) return unit.error();
        if (*unit == "Dump")
          return make_error(ec::invalid_state,
                            label(st) + " has not finished its full migration; rules can "
                                        "change once it syncs (or stop the task and start it "
                                        "again with the new rules)");
        st.config = std::move(updated);
        DM_INFO("{} took updated rules; they apply from its checkpoint when it resumes",
                label(st));
        return make_status(st);
      },
      [=](status_atom) { return make_status(self->state); },
  };
}

}  // namespace dm
