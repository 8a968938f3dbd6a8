#include "actors/task.hpp"

#include <algorithm>
#include <ctime>
#include <functional>

#include <caf/all.hpp>

#include "actors/dumper.hpp"
#include "actors/loader.hpp"
#include "actors/store.hpp"
#include "actors/syncer.hpp"
#include "common/defaults.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "io/connection_settings.hpp"
#include "io/loaded_chunks.hpp"
#include "io/operator_decision.hpp"
#include "protocol/downstream_session.hpp"
#include "storage/dump_store.hpp"
#include "storage/meta_store.hpp"
#include "sync/statements.hpp"

namespace dm {

// The (task, source)'s series on the metrics endpoint, refreshed from its status every
// defaults::task_metrics_interval; the syncer and the relay publish their own. Names and labels
// follow DM's where DM has the measure (so its alert rules and dashboards work).
struct task_metrics {
  metrics::labels dm_labels;
  metrics::gauge* stage;
  metrics::gauge* restarts;
  metrics::gauge* failing;
  metrics::gauge* sync_lag;
  metrics::histogram* sync_lag_histogram;
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
  metrics::gauge* load_progress;
  bool stage_shown = true;

  explicit task_metrics(const task_actor_state& st)
      : dm_labels{{"task", st.config.name},
                  {"source_id", st.source.source_id},
                  {"worker", st.worker.name}} {
    auto& reg = metrics::registry::global();
    metrics::labels l{{"task", st.config.name}, {"source_id", st.source.source_id}};
    auto g = [&](const char* name, const char* help) { return reg.get_gauge(name, help, l); };
    stage = reg.get_gauge("dm_worker_task_state",
                          "Stage of the task on the source: 2 Running, 3 Paused (as DM; the "
                          "series goes away when the task finishes or stops)",
                          dm_labels);
    restarts = g("dm_task_unit_restarts", "Times a failed unit of the task was restarted");
    failing = g("dm_task_error", "1 while the task has an error (see query-status last_error)");
    sync_lag = reg.get_gauge("dm_syncer_replication_lag_gauge",
                             "Seconds the syncer is behind the upstream", dm_labels);
    sync_lag_histogram = reg.get_histogram(
        "dm_syncer_replication_lag", "Seconds the syncer is behind the upstream, sampled each "
                                     "second",
        dm_labels, metrics::exponential_bounds(0.5, 2, 12));
    sync_rate = g("dm_syncer_rows_per_second", "Row changes applied per second");
    dump_rows = g("dm_dump_rows", "Rows dumped");
    dump_chunks = g("dm_dump_chunks", "Chunks dumped");
    dump_bytes = g("dm_dump_bytes", "Bytes of dump files written");
    rows_total = g("dm_dump_rows_planned", "Rows the dump plans to copy");
    load_rows = g("dm_load_rows", "Rows loaded downstream");
    load_chunks = g("dm_load_chunks", "Chunks loaded downstream");
    load_bytes = g("dm_load_bytes", "Bytes of dump files loaded");
    load_rate = g("dm_load_rows_per_second", "Rows loaded per second");
    load_queue = g("dm_load_queue_chunks", "Chunks dumped and waiting to be loaded");
    load_progress = g("dm_loader_progress", "Share of the planned rows loaded, 0 to 1");
  }

  void publish(const subtask_status& s) {
    if (s.stage == task_stage::running || s.stage == task_stage::paused) {
      if (!stage_shown)
        stage = metrics::registry::global().get_gauge("dm_worker_task_state", "", dm_labels);
      stage_shown = true;
      stage->set(s.stage == task_stage::running ? 2 : 3);
    } else if (stage_shown) {
      // DM drops the series of a finished or stopped task.
      metrics::registry::global().remove_series("dm_worker_task_state", dm_labels);
      stage_shown = false;
    }
    restarts->set(s.restarts);
    failing->set(s.last_error.empty() ? 0 : 1);
    sync_lag->set(static_cast<double>(s.lag_seconds));
    if (s.unit == task_unit::sync && s.stage == task_stage::running)
      sync_lag_histogram->observe(static_cast<double>(s.lag_seconds));
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
    if (m.rows_total > 0)
      load_progress->set(std::min(1.0, static_cast<double>(m.rows_loaded) /
                                           static_cast<double>(m.rows_total)));
  }
};

unit_spawner real_units() {
  unit_spawner s;
  s.syncer = [](task_self self) {
    auto& st = self->state;
    return self->spawn<caf::detached + caf::monitored>(syncer, st.config, st.source, st.db,
                                                       task_actor{self}, st.relay_source,
                                                       st.worker.name);
  };
  s.loader = [](task_self self) {
    auto& st = self->state;
    // Detached: it records every chunk in RocksDB and removes loaded files.
    return self->spawn<caf::detached + caf::monitored>(
        loader, st.config, st.source.source_id, st.source.cluster_epoch, st.db, task_actor{self},
        dump_dir_of(st.config, st.source.source_id, st.worker.data_dir));
  };
  s.dumper = [](task_self self, loader_actor loader_handle) {
    auto& st = self->state;
    return self->spawn<caf::detached + caf::monitored>(
        dumper, st.config, st.source, st.db, task_actor{self}, loader_handle,
        dump_dir_of(st.config, st.source.source_id, st.worker.data_dir));
  };
  s.load_check = [](task_self self) {
    auto& st = self->state;
    auto db = st.db;
    auto task_name = st.config.name;
    auto source_id = st.source.source_id;
    auto target = st.config.target_database;
    auto label = "loader of task " + task_name + " on source " + source_id;
    return self->spawn<caf::detached + caf::monitored>(
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
  };
  return s;
}

namespace {

std::string label(const task_actor_state& st) {
  return "task " + st.config.name + " on source " + st.source.source_id;
}

// What the task has to do next, as recorded in RocksDB: dump (dump and load, until the load is
// recorded finished), finished (task-mode full, everything loaded) or sync.
caf::expected<task_unit> next_unit(const task_actor_state& st) {
  if (!copies(st.config.task_mode)) return task_unit::sync;
  storage::dump_store store{st.db, st.config.name, st.source.source_id};
  auto finished = store.load_finished();
  if (!finished) return finished.error();
  if (!*finished) return task_unit::dump;
  return syncs(st.config.task_mode) ? task_unit::sync : task_unit::finished;
}

// Starts what the task still has to do (next_unit). The copy starts with a check of what it
// loaded before (on_unit_down starts dumper and loader when it ends).
void start_units(task_self self) {
  auto& st = self->state;
  auto unit = next_unit(st);
  if (!unit) {
    st.stage = task_stage::paused;
    st.last_error = describe(unit.error());
    return;
  }
  st.unit = *unit;
  switch (*unit) {
    case task_unit::dump:
    case task_unit::load:
      st.units->load_check = st.spawn.load_check(self);
      break;
    case task_unit::finished:
      st.stage = task_stage::finished;
      break;
    case task_unit::sync:
      st.units->syncer = st.spawn.syncer(self);
      break;
  }
}

void start_dump_and_load(task_self self) {
  auto& st = self->state;
  st.units->loader = st.spawn.loader(self);
  st.units->dumper = st.spawn.dumper(self, st.units->loader);
}

void stop_units(task_self self, caf::exit_reason reason = caf::exit_reason::user_shutdown) {
  auto& u = *self->state.units;
  for (auto handle : {caf::actor_cast<caf::actor>(u.syncer), caf::actor_cast<caf::actor>(u.dumper),
                      caf::actor_cast<caf::actor>(u.loader), u.load_check})
    if (handle) self->send_exit(handle, reason);
}

// DM's per-unit error counters: dm_syncer_, dm_loader_ and dm_dumpling_exit_with_error_count.
void count_unit_exit(const task_actor_state& st, const caf::error& reason) {
  const char* name = st.unit == task_unit::sync   ? "dm_syncer_exit_with_error_count"
                     : st.unit == task_unit::load ? "dm_loader_exit_with_error_count"
                                                  : "dm_dumpling_exit_with_error_count";
  metrics::registry::global()
      .get_counter(name, "Times the unit stopped on an error",
                   {{"task", st.config.name},
                    {"source_id", st.source.source_id},
                    {"resumable_err", is_resumable(reason) ? "true" : "false"}})
      ->add();
}

// A unit ended with `reason`: restart it after the policy's backoff, or pause when retrying
// cannot help or failed too often.
void on_unit_failure(task_self self, const caf::error& reason) {
  auto& st = self->state;
  st.last_error = describe(reason);
  count_unit_exit(st, reason);
  auto delay = st.restart.on_failure(restart_policy::clock::now(), st.random);
  if (!is_resumable(reason) || !delay) {
    st.stage = task_stage::paused;
    DM_ERROR("{} paused: {}", label(st), st.last_error);
    return;
  }
  ++st.restarts;
  DM_WARN("{} restarts its {} unit in {} ms: {}", label(st), to_string(st.unit), delay->count(),
          st.last_error);
  self->delayed_send(self, *delay, restart_atom_v);
}

// Recovered (or resumed by the operator): the error is history, and so are the failures
// counting towards a pause (one outage of a peer must not use up the budget of the next); the
// restart count stays.
void forget_failures(task_actor_state& st) {
  st.last_error.clear();
  st.failed_key.reset();
  st.failed_position = {};
  st.restart.recovered();
}

// The source's checker (DM's auto-resume) as the restart settings of the task's units; the
// jitter and the failure budget stay the project's.
restart_settings unit_restart_settings(const auto_resume_config& checker) {
  auto settings = defaults::unit_restart;
  settings.first = std::chrono::milliseconds{checker.backoff_min_ms};
  settings.max = std::chrono::milliseconds{checker.backoff_max_ms};
  settings.window = std::chrono::milliseconds{checker.rollback_ms};
  if (!checker.enabled) settings.max_failures = 1;
  return settings;
}

void on_unit_down(task_self self, const caf::actor_addr& source, const caf::error& reason) {
  auto& st = self->state;
  auto& u = *st.units;
  bool failed = reason && reason != caf::exit_reason::user_shutdown;
  if (source == u.syncer) {
    u.syncer = syncer_actor{};
    // Not a failure: it replays what a shard DDL lock held (syncer.hpp shard_holds); a part
    // paused or stopping meanwhile replays when it starts again.
    if (failed && code_of(reason) == ec::replay_requested) {
      DM_INFO("{}: {}", label(st), describe(reason));
      if (st.stopping) {
        if (!u.any()) self->quit(st.stop_reason);
      } else if (st.stage == task_stage::running) {
        start_units(self);
      }
      return;
    }
  } else if (source == u.load_check) {
    u.load_check = caf::actor{};
    if (!failed && !st.stopping && st.stage == task_stage::running)
      return start_dump_and_load(self);
  } else if (source == u.dumper) {
    u.dumper = dumper_actor{};
    if (!failed && u.loader) st.unit = task_unit::load;
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

subtask_status make_status(const task_actor_state& st) {
  subtask_status s;
  s.source_id = st.source.source_id;
  s.worker = st.worker.name;
  s.stage = st.stage;
  s.unit = st.stage == task_stage::finished ? task_unit::finished : st.unit;
  s.synced = st.progress.synced;
  s.synced_gtid = st.progress.synced_gtid;
  s.relay = st.progress.relay;
  s.synced_upstream = st.stage == task_stage::running && st.progress.caught_up;
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
  if (st.unit == task_unit::dump || st.unit == task_unit::load) {
    if (st.load_rows_per_second > 0 && m.rows_total >= m.rows_loaded)
      m.eta_seconds =
          static_cast<int64_t>((m.rows_total - m.rows_loaded) / st.load_rows_per_second);
  } else if (copies(st.config.task_mode) && m.chunks_total > 0) {
    m.eta_seconds = 0;
  }
  return s;
}

// A rate over the last interval of at least a second; a counter that went back (a unit that
// restarted counts from 0) starts the interval again.
void update_rate(uint64_t count, uint64_t& last_count,
                 std::chrono::steady_clock::time_point& last_time, double& rate) {
  auto now = std::chrono::steady_clock::now();
  if (count < last_count) {
    last_count = count;
    last_time = now;
  }
  auto elapsed = std::chrono::duration<double>(now - last_time).count();
  if (elapsed < 1.0) return;
  rate = static_cast<double>(count - last_count) / elapsed;
  last_count = count;
  last_time = now;
}

// The operator decided about the failed event: the task runs again and answers with its status.
void resume_decided(task_self self, caf::typed_response_promise<subtask_status>& rp) {
  auto& st = self->state;
  forget_failures(st);
  st.stage = task_stage::running;
  if (!st.units->any()) start_units(self);
  rp.deliver(make_status(st));
}

// Refuses a second decision while one made ahead (binlog -b) waits for its event.
caf::error ahead_pending(const std::string& task, const std::string& source,
                         const operator_decision& pending) {
  return make_error(ec::invalid_state,
                    "task " + task + " on source " + source + ": binlog " +
                        to_string(pending.action) + " -b " + to_string(pending.at) +
                        " waits for its event; binlog revert it first");
}

// The store job that saves `decision` for the task's part, unless one made ahead (binlog -b)
// still waits for its event.
std::function<caf::error()> save_unless_ahead_pending(const task_actor_state& st,
                                                      operator_decision decision) {
  auto db = st.db;
  auto task_name = st.config.name;
  auto source_id = st.source.source_id;
  return [=]() -> caf::error {
    storage::meta_store meta{db};
    auto pending = load_decision(meta, task_name, source_id);
    if (!pending) return pending.error();
    if (*pending && !(*pending)->at.empty())
      return ahead_pending(task_name, source_id, **pending);
    return save_decision(meta, task_name, source_id, decision);
  };
}

// The end of a binlog -b or revert once the store answered: the error, or (logging `done`) a
// running syncer starts again, since it reads the operator's decisions when it starts, and the
// part's status.
std::function<void(caf::error)> reload_syncer_then_answer(
    task_self self, caf::typed_response_promise<subtask_status> rp, std::string done) {
  return [=](caf::error err) mutable {
    auto& st = self->state;
    if (err) {
      rp.deliver(err);
      return;
    }
    DM_INFO("{}: {}", label(st), done);
    if (st.stage == task_stage::running && st.units->syncer) {
      stop_units(self);
      self->send(self, restart_atom_v);
    }
    rp.deliver(make_status(st));
  };
}

// binlog skip|replace|inject -b: records the decision about the event at `at`, which the syncer
// has not reached yet, and restarts a running syncer so that it reads it.
caf::result<subtask_status> decide_ahead(task_self self, error_action action,
                                         const std::string& sql, const binlog_position& at) {
  auto& st = self->state;
  auto& synced = st.progress.synced;
  if (comes_before(at, synced))
    return make_error(ec::invalid_state, label(st) + ": binlog " + to_string(action) + " -b " +
                                             to_string(at) + ": the task has applied everything "
                                             "before " + to_string(synced) + " already");
  auto rp = self->make_response_promise<subtask_status>();
  on_store(self, st.store, save_unless_ahead_pending(st, {{}, action, sql, at}),
           reload_syncer_then_answer(self, rp,
                                     std::string{"the operator chose to "} + to_string(action) +
                                         " the event at " + to_string(at) +
                                         " when the syncer reaches it"));
  return rp;
}

// binlog revert: withdraws the decision made ahead (binlog -b) if it has not acted yet; `at`, if
// given, must be its position.
caf::result<subtask_status> revert_ahead(task_self self, const std::string& at_text) {
  auto& st = self->state;
  binlog_position at;
  if (!at_text.empty()) {
    auto parsed = parse_binlog_position(at_text);
    if (!parsed) return parsed.error();
    at = std::move(*parsed);
  }
  auto db = st.db;
  auto task_name = st.config.name;
  auto source_id = st.source.source_id;
  auto rp = self->make_response_promise<subtask_status>();
  on_store(self, st.store,
           [=]() -> caf::error {
             storage::meta_store meta{db};
             auto pending = load_decision(meta, task_name, source_id);
             if (!pending) return pending.error();
             if (!*pending || (*pending)->at.empty() || (!at.empty() && (*pending)->at != at))
               return make_error(ec::invalid_state,
                                 "task " + task_name + " on source " + source_id +
                                     ": no binlog -b operation" +
                                     (at.empty() ? std::string{} : " at " + to_string(at)) +
                                     " waits; nothing to revert");
             return clear_decision(meta, task_name, source_id);
           },
           reload_syncer_then_answer(self, rp, "the operator reverted the binlog -b operation"));
  return rp;
}

// binlog inject: runs the operator's statements downstream now (on a thread of its own), then
// resumes the task, whose units try the failed event again.
void inject_then_retry(task_self self, const std::string& sql,
                       caf::typed_response_promise<subtask_status> rp) {
  auto target = self->state.config.target_database;
  auto name = label(self->state);
  auto runner = self->spawn<caf::detached>([=](caf::event_based_actor* r) -> caf::behavior {
    return {[=](run_atom) -> caf::result<bool> {
      r->quit();
      auto conn = open_downstream_session(to_connection_params(target), "downstream of " + name);
      if (!conn) return conn.error();
      for (auto& statement : split_statements(sql))
        if (auto err = conn->execute(statement))
          return make_error(code_of(err), name + ": the injected statement failed: " +
                                              describe(err) + "; the task stays paused");
      return true;
    }};
  });
  self->request(runner, caf::infinite, run_atom_v)
      .then(
          [=](bool) mutable {
            auto& st = self->state;
            DM_INFO("{} resumes: the operator injected SQL before the event at {}", label(st),
                    to_string(st.failed_position));
            resume_decided(self, rp);
          },
          [=](caf::error& err) mutable { rp.deliver(err); });
}

}  // namespace

task_actor::behavior_type task(task_self self, task_config config, source_config source,
                               std::shared_ptr<storage::database> db, source_actor relay_source,
                               store_actor store, worker_settings worker, bool paused,
                               unit_spawner spawn) {
  auto& st = self->state;
  st.config = std::move(config);
  st.source = std::move(source);
  st.db = std::move(db);
  st.relay_source = std::move(relay_source);
  st.store = std::move(store);
  st.worker = std::move(worker);
  st.spawn = std::move(spawn);
  st.restart = restart_policy{unit_restart_settings(st.source.auto_resume)};
  st.units = std::make_shared<task_units>();
  st.rate_time = st.load_rate_time = std::chrono::steady_clock::now();
  // If the task ends without its exit handler (a crash of the actor), still stop the units.
  self->attach_functor([units = st.units] {
    for (auto handle : {caf::actor_cast<caf::actor>(units->syncer),
                        caf::actor_cast<caf::actor>(units->dumper),
                        caf::actor_cast<caf::actor>(units->loader), units->load_check})
      if (handle) caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.stopping) return;
    st.stopping = true;
    st.stop_reason = msg.reason;
    if (!st.units->any()) return self->quit(msg.reason);
    stop_units(self);
    self->delayed_send(self, defaults::shutdown_grace, stop_atom_v);
  });
  self->set_down_handler([=](caf::down_msg& msg) { on_unit_down(self, msg.source, msg.reason); });
  st.metrics = std::make_shared<task_metrics>(st);
  self->send(self, tick_atom_v);
  if (paused) {
    // Paused where it would go on: its status shows that unit.
    auto unit = next_unit(st);
    st.unit = unit ? *unit : task_unit::sync;
    st.stage = st.unit == task_unit::finished ? task_stage::finished : task_stage::paused;
    if (!unit) st.last_error = describe(unit.error());
    DM_INFO("{} stays paused (pause-task) until resume-task", label(st));
  } else {
    start_units(self);
  }
  return {
      [=](progress_atom, sync_progress& p) {
        auto& st = self->state;
        update_rate(p.rows_applied, st.rate_rows, st.rate_time, st.rows_per_second);
        if (p.failed) {
          st.failed_key = p.failed_key;
          st.failed_position = p.failed_position;
        }
        st.progress = std::move(p);
        if (st.progress.caught_up && !st.last_error.empty() && st.stage == task_stage::running)
          forget_failures(st);
      },
      [=](progress_atom, dump_counters& c) { self->state.dump = c; },
      [=](progress_atom, load_counters& c) {
        auto& st = self->state;
        update_rate(c.rows_loaded, st.load_rate_rows, st.load_rate_time,
                    st.load_rows_per_second);
        st.load = c;
      },
      [=](tick_atom) {
        self->state.metrics->publish(make_status(self->state));
        self->delayed_send(self, defaults::task_metrics_interval, tick_atom_v);
      },
      [=](restart_atom) {
        auto& st = self->state;
        if (st.stopping || st.stage != task_stage::running) return;
        // A unit still ending (the other of dumper and loader) is waited for.
        if (st.units->any()) {
          self->delayed_send(self, std::chrono::milliseconds{200}, restart_atom_v);
          return;
        }
        start_units(self);
      },
      [=](stop_atom) {
        // The shutdown grace is over: what still runs is killed.
        auto& st = self->state;
        if (!st.units->any()) return;
        DM_WARN("{} kills units that did not stop within {} s", label(st),
                defaults::shutdown_grace.count());
        stop_units(self, caf::exit_reason::kill);
        self->quit(st.stop_reason);
      },
      [=](handle_error_atom, error_action action, const std::string& sql,
          const std::string& at_text) -> caf::result<subtask_status> {
        auto& st = self->state;
        if (action == error_action::revert) return revert_ahead(self, at_text);
        if (!at_text.empty()) {
          auto at = parse_binlog_position(at_text);
          if (!at) return at.error();
          if (!st.failed_key || st.failed_position != *at)
            return decide_ahead(self, action, sql, *at);
        }
        if (st.stage != task_stage::paused || !st.failed_key)
          return make_error(ec::invalid_state,
                            label(st) + " is not paused on a failed event; nothing to handle");
        if (action != error_action::skip && split_statements(sql).empty())
          return make_error(ec::invalid_argument, std::string{"handle-error "} +
                                                      to_string(action) + " needs SQL to run");
        auto rp = self->make_response_promise<subtask_status>();
        if (action == error_action::inject) {
          inject_then_retry(self, sql, rp);
          return rp;
        }
        on_store(self, st.store, save_unless_ahead_pending(st, {*st.failed_key, action, sql, {}}),
                 [=](caf::error err) mutable {
                   auto& st = self->state;
                   if (err) {
                     rp.deliver(err);
                     return;
                   }
                   DM_INFO("{} resumes: the operator chose to {} the event at {}", label(st),
                           to_string(action), to_string(st.failed_position));
                   resume_decided(self, rp);
                 });
        return rp;
      },
      [=](pause_task_atom) -> subtask_status {
        auto& st = self->state;
        if (st.stage == task_stage::finished) return make_status(st);
        st.stage = task_stage::paused;
        DM_INFO("{} paused by the operator", label(st));
        if (st.units->any()) stop_units(self);
        return make_status(st);
      },
      [=](resume_task_atom) -> subtask_status {
        auto& st = self->state;
        if (st.stage != task_stage::paused) return make_status(st);
        DM_INFO("{} resumed by the operator", label(st));
        st.stage = task_stage::running;
        forget_failures(st);
        // Units still ending from the pause are waited for by restart_atom.
        if (st.units->any()) self->send(self, restart_atom_v);
        else start_units(self);
        return make_status(st);
      },
      [=](update_task_atom, task_config& updated) -> caf::result<subtask_status> {
        auto& st = self->state;
        if (st.stage != task_stage::paused)
          return make_error(ec::invalid_state, label(st) + " is " + to_string(st.stage) +
                                                   "; pause it (pause-task) before update-task");
        if (st.units->any())
          return make_error(ec::invalid_state,
                            label(st) + " is still stopping its units; try again in a moment");
        auto unit = next_unit(st);
        if (!unit) return unit.error();
        if (*unit == task_unit::dump)
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
