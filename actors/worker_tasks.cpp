// The worker's task commands: start-task (with its precheck and start position), check-task,
// query-status, stop-task, pause / resume, handle-error, update-task, and what happens when a
// task part's actor ends.
#include <algorithm>
#include <filesystem>

#include <caf/all.hpp>

#include "actors/dumper.hpp"
#include "actors/fan_out.hpp"
#include "actors/store.hpp"
#include "actors/worker_internal.hpp"
#include "common/defaults.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "io/connection_settings.hpp"
#include "io/meta_tables.hpp"
#include "io/operator_decision.hpp"
#include "io/precheck.hpp"
#include "io/shadow_migration_store.hpp"
#include "io/start_position.hpp"
#include "io/sync_start.hpp"
#include "io/upstream_position.hpp"
#include "protocol/gtid_set.hpp"
#include "model/config_json.hpp"
#include "protocol/password_cipher.hpp"
#include "protocol/sql/quote.hpp"
#include "sync/shard_replay.hpp"
#include "sync/table_rules.hpp"
#include "sync/task_update.hpp"

namespace dm::worker_detail {

namespace {

using parts = std::vector<std::pair<std::string, task_actor>>;

parts parts_of(const worker_actor_state::task_entry& entry) {
  return {entry.subtasks.begin(), entry.subtasks.end()};
}

// The parts on `sources` (DM's -s; empty: every part).
parts parts_on(const worker_actor_state::task_entry& entry,
               const std::vector<std::string>& sources) {
  if (sources.empty()) return parts_of(entry);
  parts out;
  for (auto& [id, handle] : entry.subtasks)
    if (std::find(sources.begin(), sources.end(), id) != sources.end()) out.emplace_back(id, handle);
  return out;
}

std::string joined(const std::set<std::string>& ids) {
  std::string out;
  for (auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

// Removes what a stopped task leaves on this worker: checkpoints, its records and the dump
// files of an unfinished full migration. Blocking: runs on the store.
std::function<caf::error()> remove_task_records(const worker_actor_state& st,
                                                const task_config& config) {
  auto db = st.db;
  std::vector<std::string> dirs;
  for (auto& inst : config.mysql_instances)
    dirs.push_back(dump_dir_of(config, inst.source_id, st.settings.data_dir));
  auto name = config.name;
  return [=]() -> caf::error {
    for (auto& dir : dirs) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
    if (auto err = storage::checkpoint_store{db}.erase_task(name)) return err;
    storage::meta_store meta{db};
    if (auto err = erase_task_shadow_migrations(meta, name)) return err;
    if (auto err = clear_decisions(meta, name)) return err;
    if (auto err = meta.erase_prefix(replay_plan_kind, name + '\0')) return err;
    if (auto err = meta.erase(task_kind, name)) return err;
    return meta.erase(task_stage_kind, name);
  };
}

// Removes the task's rows from its meta tables downstream (sync/downstream_meta.hpp) for each of
// its sources in `source_ids`, on a thread of its own; replies `true` or the error.
caf::actor spawn_meta_removal(self_ptr self, const task_config& config,
                              std::vector<std::string> source_ids) {
  auto target = usable(config, self->state.settings.secret_key).target_database;
  auto name = config.name;
  auto meta_schema = config.meta_schema;
  return spawn_probe(self, [=]() -> caf::error {
    auto conn = mysql_connection::open(to_connection_params(target), server_role::downstream,
                                       "downstream of task " + name);
    if (!conn) return conn.error();
    for (auto& id : source_ids)
      if (auto err = erase_meta_rows(*conn, {meta_schema, name, id})) return err;
    return caf::none;
  });
}

// Runs the precheck of `task` on its sources bound to this worker, on a thread of its own;
// replies with every item.
caf::actor spawn_precheck(self_ptr self, const task_config& task) {
  auto& st = self->state;
  auto usable_task = usable(task, st.settings.secret_key);
  std::vector<source_config> sources;
  for (auto& inst : task.mysql_instances)
    if (auto it = st.sources.find(inst.source_id); it != st.sources.end())
      sources.push_back(usable(it->second.config, st.settings.secret_key));
  return self->spawn<caf::detached>(
      [usable_task, sources](caf::event_based_actor* checker) -> caf::behavior {
        return {[=](run_atom) -> std::vector<check_item> {
          checker->quit();
          std::vector<check_item> items;
          for (auto& source : sources)
            for (auto& item : precheck(usable_task, source)) items.push_back(std::move(item));
          return items;
        }};
      });
}

// The sources of `cfg` bound to this worker.
std::vector<std::string> sources_here(const worker_actor_state& st, const task_config& cfg) {
  std::vector<std::string> here;
  for (auto& inst : cfg.mysql_instances)
    if (st.sources.count(inst.source_id)) here.push_back(inst.source_id);
  return here;
}

// The answer to stop-task: the task's parts on `source_ids` stopped, each with `warning` if any.
task_status stopped_status(const std::string& worker, const std::string& name,
                           const task_config& config, const std::vector<std::string>& source_ids,
                           const std::string& warning) {
  task_status status;
  status.name = name;
  status.stage = task_stage::stopped;
  status.task_mode = config.task_mode;
  for (auto& id : source_ids) {
    subtask_status s;
    s.source_id = id;
    s.worker = worker;
    s.stage = task_stage::stopped;
    if (!warning.empty()) s.warnings.push_back(warning);
    status.subtasks.push_back(std::move(s));
  }
  return status;
}

// Removes the task's rows in the downstream meta tables for `source_ids`, then calls `done` with
// a warning, empty if they went. A downstream that cannot be reached does not stop the stop
// (those rows belong to a run no later task trusts, see downstream_meta.hpp).
void remove_downstream_rows(self_ptr self, const task_config& config,
                            std::vector<std::string> source_ids,
                            std::function<void(const std::string&)> done) {
  if (source_ids.empty()) return done("");
  auto name = config.name;
  self->request(spawn_meta_removal(self, config, std::move(source_ids)), defaults::probe_timeout,
                run_atom_v)
      .then([=](bool) { done(""); },
            [=](caf::error& err) {
              auto warning = "its rows in " + config.meta_schema +
                             ".load_marks and .apply_marks downstream could not be removed (" +
                             describe(err) + "); they are left unused: no later task trusts them";
              DM_WARN("worker {} stopped task {}, but {}", self->state.worker_name, name,
                      warning);
              done(warning);
            });
}

// The last step of stop-task on this worker: the task's local records go, then its rows in the
// downstream meta tables; the reply says if those could not go.
void finish_stop(self_ptr self, const std::string& name, const task_config& config,
                 std::vector<caf::typed_response_promise<task_status>> promises) {
  auto& st = self->state;
  auto here = sources_here(st, config);
  on_store(self, st.store, remove_task_records(st, config), [=](caf::error err) mutable {
    if (err) {
      for (auto& rp : promises) rp.deliver(err);
      return;
    }
    self->send(self->state.shard_locks, stop_task_atom_v, name);
    remove_downstream_rows(self, config, here, [=](const std::string& warning) mutable {
      // Its units are gone: no stale series stay behind (DM's dashboards count tasks by them).
      metrics::registry::global().remove_labelled({{"task", name}});
      auto status = stopped_status(self->state.worker_name, name, config, here, warning);
      for (auto& rp : promises) rp.deliver(status);
      DM_INFO("worker {} removed task {}", self->state.worker_name, name);
    });
  });
}

// The last step of stop-task -s on some of this worker's parts, once their actors ended: the task
// goes on without them. Its record here loses their sources (so a restart does not bring them
// back); their checkpoints, online-DDL records, dump files, paused marks, metric series and
// downstream meta rows go, as stop-task does for a whole task.
void finish_part_stop(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto& entry = st.tasks.at(name);
  auto ending = entry.parting->sources;
  auto remaining = entry.config;
  auto& instances = remaining.mysql_instances;
  instances.erase(std::remove_if(instances.begin(), instances.end(),
                                 [&](const auto& inst) { return ending.count(inst.source_id); }),
                  instances.end());
  auto now_paused = entry.paused;
  std::vector<std::string> dirs;
  for (auto& id : ending) {
    now_paused.erase(id);
    dirs.push_back(dump_dir_of(entry.config, id, st.settings.data_dir));
  }
  auto db = st.db;
  auto record = to_json(remaining);
  on_store(
      self, st.store,
      [=]() -> caf::error {
        storage::meta_store meta{db};
        if (auto err = meta.put(task_kind, name, record)) return err;
        if (auto err = now_paused.empty() ? meta.erase(task_stage_kind, name)
                                          : meta.put(task_stage_kind, name, joined(now_paused)))
          return err;
        for (auto& dir : dirs) {
          std::error_code ignored;
          std::filesystem::remove_all(dir, ignored);
        }
        for (auto& id : ending) {
          if (auto err = storage::checkpoint_store{db}.erase_part(name, id)) return err;
          if (auto err = erase_task_shadow_migrations(meta, name, id)) return err;
          if (auto err = clear_decision(meta, name, id)) return err;
          if (auto err = meta.erase(replay_plan_kind, replay_plan_id(name, id))) return err;
        }
        return caf::none;
      },
      [=](caf::error err) {
        auto& st = self->state;
        for (auto& id : ending) self->send(st.shard_locks, stop_task_atom_v, name, id);
        auto it = st.tasks.find(name);
        if (it == st.tasks.end()) return;
        auto rp = it->second.parting->promise;
        auto config = it->second.config;
        it->second.parting.reset();
        if (err) {
          rp.deliver(make_error(ec::storage_failed,
                                "task " + name + ": the parts on " + joined(ending) +
                                    " stopped, but their records could not be removed (" +
                                    describe(err) + "); run stop-task -s again"));
          return;
        }
        it->second.config = remaining;
        it->second.paused = now_paused;
        std::vector<std::string> ids{ending.begin(), ending.end()};
        remove_downstream_rows(self, config, ids, [=](const std::string& warning) mutable {
          for (auto& id : ids)
            metrics::registry::global().remove_labelled({{"task", name}, {"source_id", id}});
          DM_INFO("worker {} removed task {} from source(s) {}", self->state.worker_name, name,
                  joined(ending));
          rp.deliver(stopped_status(self->state.worker_name, name, config, ids, warning));
        });
      });
}

// Persists a task that passed its precheck (on the store) and starts it on its sources here.
void launch_task(self_ptr self, const task_config& cfg,
                 caf::typed_response_promise<task_status> rp) {
  auto& st = self->state;
  auto db = st.db;
  auto record = to_json(cfg);
  on_store(self, st.store,
           [=] { return storage::meta_store{db}.put(task_kind, cfg.name, record); },
           [=](caf::error err) mutable {
             auto& st = self->state;
             done_creating(st, cfg.name);
             if (err) {
               rp.deliver(err);
               return;
             }
             auto& entry = st.tasks[cfg.name];
             entry.config = cfg;
             // In a cluster, the parts start in the stage the operator left them in.
             entry.paused.insert(cfg.cluster_paused.begin(), cfg.cluster_paused.end());
             entry.cluster_stage_revision = cfg.cluster_stage_revision;
             spawn_subtasks(self, cfg.name, entry);
             DM_INFO("worker {} started task {} on {} source(s)", st.worker_name, cfg.name,
                     entry.subtasks.size());
             task_status status;
             status.name = cfg.name;
             status.stage = task_stage::running;
             status.task_mode = cfg.task_mode;
             for (auto& [source_id, handle] : entry.subtasks) {
               subtask_status s;
               s.source_id = source_id;
               s.worker = st.worker_name;
               status.subtasks.push_back(std::move(s));
             }
             rp.deliver(std::move(status));
           });
}

}  // namespace

// The last steps of start-task: an incremental task without `meta` starts where the upstream's
// binlog stands now, recorded as its sync checkpoint before start-task answers (so that every
// change made after the answer is replicated, however long its syncer takes to start); with a
// start time (DM's --start-time) every part starts at the first transaction of its relay log
// written at or after it, `meta` or not; a `meta` with binlog-gtid alone starts at the first
// transaction the set lacks. Then the task is persisted and started. Ends the task's creating
// mark.
void start_from_now(self_ptr self, const task_config& cfg, const std::vector<std::string>& here,
                    int64_t start_time, caf::typed_response_promise<task_status> rp) {
  auto& st = self->state;
  std::vector<source_config> sources;
  if (cfg.task_mode == task_mode::incremental)
    for (auto& id : here)
      if (auto* inst = find_instance(cfg, id);
          inst && (inst->meta.empty() || start_time > 0 || inst->meta.binlog_name.empty()))
        sources.push_back(usable(st.sources.at(id).config, st.settings.secret_key));
  if (sources.empty()) return launch_task(self, cfg, rp);
  auto db = st.db;
  auto name = cfg.name;
  auto probe = spawn_probe(self, [=]() -> caf::error {
    for (auto& source : sources) {
      if (start_time > 0) {
        auto at = position_at_time(db, source.source_id, start_time);
        if (!at) return at.error();
        if (auto err = save_sync_start(db, name, source.source_id, at->start, "", at->relay_end))
          return err;
        continue;
      }
      const auto& gtids = find_instance(cfg, source.source_id)->meta.binlog_gtid;
      if (!gtids.empty()) {
        // The downstream holds exactly this set: from the first transaction it lacks, no
        // safe mode.
        auto executed = gtid_set::parse(gtids);
        if (!executed) return executed.error();
        auto at = position_after_gtids(db, source.source_id, *executed);
        if (!at) return at.error();
        if (auto err = save_sync_start(db, name, source.source_id, at->start, gtids, at->start))
          return err;
        continue;
      }
      auto conn = mysql_connection::open(to_connection_params(source.from), server_role::upstream,
                                         "upstream of source " + source.source_id);
      if (!conn) return conn.error();
      auto now = current_binlog_position(*conn);
      if (!now) return now.error();
      if (now->empty())
        return make_error(ec::upstream_misconfigured,
                          "upstream of source " + source.source_id +
                              ": SHOW MASTER STATUS returns nothing; is binary logging on?");
      auto gtid = executed_gtid_set(*conn);
      if (auto err = save_sync_start(db, name, source.source_id, *now, gtid, *now)) return err;
    }
    return caf::none;
  });
  self->request(probe, defaults::probe_timeout, run_atom_v)
      .then([=](bool) mutable { launch_task(self, cfg, rp); },
            [=](caf::error& err) mutable {
              auto& st = self->state;
              done_creating(st, name);
              on_store(self, st.store, remove_task_records(st, cfg), [](caf::error) {});
              rp.deliver(make_error(code_of(err), "task " + name + " was not started: " +
                                                      describe(err)));
            });
}

namespace {

// The first of the task's instances whose rules do not compile, as an error naming the task
// and the source; nothing when all compile.
caf::error rules_error(const task_config& cfg) {
  for (auto& inst : cfg.mysql_instances)
    if (auto rules = table_rules::compile(inst); !rules)
      return make_error(code_of(rules.error()), "task " + cfg.name + ", source " +
                                                    inst.source_id + ": " +
                                                    describe(rules.error()));
  return {};
}

// A task's status from its parts': Paused when any part is, Finished when every part is.
task_status make_task_status(const std::string& name, const task_config& config,
                             std::vector<subtask_status> subtasks, size_t expected_parts) {
  task_status status;
  status.name = name;
  status.task_mode = config.task_mode;
  status.stage = task_stage::running;
  bool all_finished = !subtasks.empty() && subtasks.size() == expected_parts;
  for (auto& s : subtasks) {
    if (s.stage == task_stage::paused) status.stage = task_stage::paused;
    all_finished = all_finished && s.stage == task_stage::finished;
  }
  if (status.stage == task_stage::running && all_finished) status.stage = task_stage::finished;
  status.subtasks = std::move(subtasks);
  return status;
}

std::vector<std::string> refusals_of(const std::vector<std::pair<std::string, caf::error>>& errors) {
  std::vector<std::string> out;
  for (auto& [source_id, err] : errors) out.push_back(describe(err));
  return out;
}

// Sends `xs...` to every part of task `name` on `sources` (empty: all) and answers `rp` with
// their statuses; fails with the parts' refusals when every one refused.
template <class... Ts>
void ask_parts(self_ptr self, const std::string& name, const std::vector<std::string>& sources,
               caf::typed_response_promise<task_status> rp, Ts... xs) {
  auto& st = self->state;
  auto it = st.tasks.find(name);
  if (it == st.tasks.end()) {
    rp.deliver(not_on_worker(st, "task", name));
    return;
  }
  auto targets = parts_on(it->second, sources);
  if (targets.empty()) {
    rp.deliver(make_error(ec::not_found, "task " + name + " runs on no " +
                                             (sources.empty() ? std::string{"source"}
                                                              : "source of " + join(sources)) +
                                             " on worker " + st.worker_name));
    return;
  }
  auto config = it->second.config;
  auto count = targets.size();
  fan_out<subtask_status>(
      self, targets, defaults::status_timeout,
      [=](fan_in<std::string, subtask_status> in) mutable {
        if (in.results.empty()) {
          rp.deliver(make_error(ec::invalid_state, join(refusals_of(in.errors))));
          return;
        }
        std::vector<subtask_status> statuses;
        for (auto& [id, s] : in.results) statuses.push_back(std::move(s));
        rp.deliver(make_task_status(name, config, std::move(statuses), count));
      },
      xs...);
}

// Refuses a command about a task that is being stopped or updated (nothing may resume, pause
// or stop it while update-task changes its parts' rules).
caf::error busy(const worker_actor_state::task_entry& entry, const std::string& name) {
  if (!entry.stopping.empty() || entry.parting)
    return make_error(ec::invalid_state, "task " + name + " is being stopped");
  if (entry.updating)
    return make_error(ec::invalid_state,
                      "task " + name + " is being updated (update-task); try again in a moment");
  return {};
}

}  // namespace

void on_subtask_down(self_ptr self, const std::string& name, const std::string& source_id,
                     const caf::error& reason) {
  auto& st = self->state;
  auto it = st.tasks.find(name);
  if (it == st.tasks.end()) return;
  auto& entry = it->second;
  entry.subtasks.erase(source_id);
  // (A stop-task that came meanwhile ends the task as it does without a cluster.)
  if (entry.leaving && entry.stopping.empty() && !entry.parting) {
    if (!entry.subtasks.empty()) return;
    DM_INFO("worker {} let task {} go (its sources run elsewhere or stopped)", st.worker_name,
            name);
    st.tasks.erase(it);
    on_cluster_task_gone(self);
    return;
  }
  if (entry.parting && entry.parting->waiting.erase(source_id)) {
    if (entry.parting->waiting.empty()) finish_part_stop(self, name);
    return;
  }
  if (entry.stopping.empty()) {
    auto& policy = entry.respawn.try_emplace(source_id, defaults::actor_respawn).first->second;
    auto delay = policy.on_failure(restart_policy::clock::now(), st.random)
                     .value_or(defaults::actor_respawn.max);
    DM_ERROR("worker {} lost task {} on source {} ({}); spawning it again in {} ms",
             st.worker_name, name, source_id, describe(reason), delay.count());
    self->delayed_send(self, delay, restart_atom_v, name, source_id);
    return;
  }
  if (!entry.subtasks.empty()) return;
  auto promises = std::move(entry.stopping);
  auto config = std::move(entry.config);
  st.tasks.erase(it);
  finish_stop(self, name, config, std::move(promises));
}

caf::result<task_status> start_task(self_ptr self, task_config cfg, bool remove_meta,
                                    int64_t start_time) {
  auto& st = self->state;
  if (st.tasks.count(cfg.name) || is_creating(st, cfg.name))
    return make_error(ec::already_exists, "task " + cfg.name + " already exists on worker " +
                                              st.worker_name + "; stop it first");
  if (start_time > 0 && cfg.task_mode != task_mode::incremental)
    return make_error(ec::invalid_argument, "task " + cfg.name + ": --start-time is for "
                                            "incremental tasks (as in DM); task-mode is " +
                                            to_string(cfg.task_mode));
  if (auto err = rules_error(cfg)) return err;
  if (auto err = check_encrypted_form(cfg.target_database.password, st.settings.secret_key,
                                      "task " + cfg.name + ": target-database.password"))
    return err;
  std::vector<std::string> here, elsewhere;
  for (auto& inst : cfg.mysql_instances)
    (st.sources.count(inst.source_id) ? here : elsewhere).push_back(inst.source_id);
  if (here.empty())
    return make_error(ec::not_found, "task " + cfg.name + " names source(s) " +
                                         join(elsewhere, ", ") + ", none of which exists on worker " +
                                         st.worker_name + "; create them with operate-source create");
  if (cfg.shard_mode == "pessimistic" && !elsewhere.empty())
    return make_error(ec::invalid_state,
                      "task " + cfg.name + ": shard-mode pessimistic keeps its DDL locks in one "
                      "worker, and source(s) " + join(elsewhere, ", ") + " are not on worker " +
                      st.worker_name + "; create every source of the task on one worker (or use "
                      "shard-mode optimistic)");
  st.creating.push_back(cfg.name);
  auto rp = self->make_response_promise<task_status>();
  self->request(spawn_precheck(self, cfg), defaults::probe_timeout, run_atom_v)
      .then(
          [=](std::vector<check_item>& items) mutable {
            auto& st = self->state;
            if (auto failed = describe_failures(items); !failed.empty()) {
              done_creating(st, cfg.name);
              rp.deliver(make_error(ec::invalid_state, "task " + cfg.name +
                                                           " was not started: precheck failed: " +
                                                           failed));
              return;
            }
            if (!remove_meta) return start_from_now(self, cfg, here, start_time, rp);
            // start-task --remove-meta: nothing of an earlier task of the name stays.
            on_store(self, st.store, remove_task_records(st, cfg), [=](caf::error err) mutable {
              if (err) {
                done_creating(self->state, cfg.name);
                rp.deliver(err);
                return;
              }
              self->request(spawn_meta_removal(self, cfg, here), defaults::probe_timeout,
                            run_atom_v)
                  .then(
                      [=](bool) mutable {
                        DM_INFO("worker {} removed the meta of earlier task {} downstream",
                                self->state.worker_name, cfg.name);
                        self->send(self->state.shard_locks, stop_task_atom_v, cfg.name);
                        start_from_now(self, cfg, here, start_time, rp);
                      },
                      [=](caf::error& err) mutable {
                        done_creating(self->state, cfg.name);
                        rp.deliver(make_error(code_of(err),
                                              "task " + cfg.name +
                                                  " was not started: --remove-meta could not "
                                                  "remove its rows downstream: " +
                                                  describe(err)));
                      });
            });
          },
          [=](caf::error& err) mutable {
            done_creating(self->state, cfg.name);
            rp.deliver(make_error(code_of(err) == ec::none ? ec::downstream_unavailable
                                                           : code_of(err),
                                  "task " + cfg.name + " was not started: " + describe(err)));
          });
  return rp;
}

caf::result<std::vector<check_item>> check_task(self_ptr self, task_config cfg) {
  auto& st = self->state;
  if (sources_here(st, cfg).empty())
    return make_error(ec::not_found, "task " + cfg.name + " names no source of worker " +
                                         st.worker_name);
  auto rp = self->make_response_promise<std::vector<check_item>>();
  self->request(spawn_precheck(self, cfg), defaults::probe_timeout, run_atom_v)
      .then([=](std::vector<check_item>& items) mutable { rp.deliver(std::move(items)); },
            [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

namespace {

// Each task's open shard DDL locks, and for each overdue one a warning on every part of the
// task, naming the shards it waits for.
void attach_shard_locks(status_reply& reply, const std::vector<shard_lock_status>& locks) {
  for (auto& task : reply.tasks)
    for (auto& lock : locks) {
      if (lock.task != task.name) continue;
      task.shard_locks.push_back(lock);
      if (!lock.overdue) continue;
      std::string awaited;
      for (auto& shard : lock.unsynced) awaited += (awaited.empty() ? "" : "; ") + shard;
      auto way_out = "if they never make the change, resolve it with dmctl shard-ddl-lock "
                     "unlock " + lock.id;
      if (awaited.empty()) {
        awaited = "its owner " + lock.owner + " to run its change";
        way_out = "if the owner's part is paused, resolve its error; if its change was skipped, "
                  "make it by hand and run dmctl shard-ddl-lock unlock " + lock.id +
                  " --force-remove";
      }
      for (auto& part : task.subtasks)
        part.warnings.push_back("shard DDL lock " + lock.id + " has waited since " +
                                std::to_string(lock.since) + " (unix time) for " + awaited +
                                "; " + way_out);
    }
}

// The statuses of this worker's sources, added to `reply`, which goes to `rp`.
void add_source_statuses(self_ptr self, status_reply reply,
                         caf::typed_response_promise<status_reply> rp) {
  auto& st = self->state;
  std::vector<std::pair<std::string, source_actor>> sources;
  for (auto& [id, entry] : st.sources)
    if (entry.handle) sources.emplace_back(id, entry.handle);
  fan_out<source_status>(
      self, sources, defaults::status_timeout,
      [rp, reply](fan_in<std::string, source_status> in) mutable {
        for (auto& [id, s] : in.results) reply.sources.push_back(std::move(s));
        for (auto& [id, err] : in.errors) {
          source_status s;
          s.source_id = id;
          s.relay.stage = relay_stage::unknown;
          s.relay.last_error = describe(err);
          reply.sources.push_back(std::move(s));
        }
        rp.deliver(std::move(reply));
      },
      status_atom_v);
}

}  // namespace

caf::result<status_reply> query_status(self_ptr self, const std::string& name) {
  auto& st = self->state;
  if (!name.empty() && !st.tasks.count(name))
    return not_on_worker(st, "task", name);
  // Every part of the tasks asked for, keyed by (task, source), then every source.
  std::vector<std::pair<std::pair<std::string, std::string>, task_actor>> targets;
  for (auto& [task_name, entry] : st.tasks)
    if (name.empty() || task_name == name)
      for (auto& [source_id, handle] : entry.subtasks)
        targets.push_back({{task_name, source_id}, handle});
  auto rp = self->make_response_promise<status_reply>();
  fan_out<subtask_status>(
      self, targets, defaults::status_timeout,
      [=](fan_in<std::pair<std::string, std::string>, subtask_status> in) mutable {
        auto& st = self->state;
        status_reply reply;
        std::map<std::string, std::vector<subtask_status>> by_task;
        for (auto& [key, s] : in.results) by_task[key.first].push_back(std::move(s));
        for (auto& [key, err] : in.errors) {
          subtask_status s;
          s.source_id = key.second;
          s.stage = task_stage::unknown;
          s.last_error = describe(err);
          by_task[key.first].push_back(std::move(s));
        }
        for (auto& [task_name, entry] : st.tasks) {
          if (!name.empty() && task_name != name) continue;
          auto status = make_task_status(task_name, entry.config, std::move(by_task[task_name]),
                                         entry.subtasks.size());
          if (!entry.stopping.empty()) status.stage = task_stage::stopping;
          reply.tasks.push_back(std::move(status));
        }
        self->request(st.shard_locks, defaults::status_timeout, show_ddl_locks_atom_v, name)
            .then(
                [=](std::vector<shard_lock_status>& locks) mutable {
                  attach_shard_locks(reply, locks);
                  add_source_statuses(self, std::move(reply), rp);
                },
                [=](caf::error& err) mutable {
                  DM_WARN("worker {} could not read its shard DDL locks for query-status: {}",
                          self->state.worker_name, describe(err));
                  add_source_statuses(self, std::move(reply), rp);
                });
      },
      status_atom_v);
  return rp;
}

namespace {

// stop-task -s naming some, not all, of this worker's parts of task `name`: the parts on
// `ending` end and finish_part_stop removes them; the others go on.
caf::result<task_status> stop_parts(self_ptr self, const std::string& name,
                                    std::set<std::string> ending) {
  auto& entry = self->state.tasks.at(name);
  auto rp = self->make_response_promise<task_status>();
  entry.parting = worker_actor_state::task_entry::part_stop{ending, {}, rp};
  for (auto& id : ending)
    if (auto part = entry.subtasks.find(id); part != entry.subtasks.end()) {
      entry.parting->waiting.insert(id);
      self->send_exit(part->second, caf::exit_reason::user_shutdown);
    }
  // Parts that were down (waiting to be spawned again) have nothing to wait for.
  if (entry.parting->waiting.empty()) finish_part_stop(self, name);
  return rp;
}

}  // namespace

caf::result<task_status> stop_task(self_ptr self, const std::string& name,
                                   const std::vector<std::string>& sources) {
  auto& st = self->state;
  auto it = st.tasks.find(name);
  if (it == st.tasks.end())
    return not_on_worker(st, "task", name);
  auto& entry = it->second;
  if (entry.updating || entry.parting) return busy(entry, name);
  if (!sources.empty()) {
    // The task's parts here, running or down (waiting to be spawned again).
    std::set<std::string> ending, others;
    for (auto& id : sources_here(st, entry.config))
      (std::find(sources.begin(), sources.end(), id) != sources.end() ? ending : others)
          .insert(id);
    if (ending.empty())
      return make_error(ec::not_found, "task " + name + " runs on no source of " +
                                           join(sources) + " on worker " + st.worker_name);
    if (!others.empty()) {
      // A whole stop already under way covers these parts too.
      if (!entry.stopping.empty()) return busy(entry, name);
      return stop_parts(self, name, std::move(ending));
    }
  }
  auto rp = self->make_response_promise<task_status>();
  if (entry.subtasks.empty()) {
    // Nothing runs here: remove right away.
    auto config = std::move(entry.config);
    st.tasks.erase(it);
    finish_stop(self, name, config, {rp});
    return rp;
  }
  entry.stopping.push_back(rp);
  if (entry.stopping.size() > 1) return rp;
  for (auto& [source_id, handle] : entry.subtasks)
    self->send_exit(handle, caf::exit_reason::user_shutdown);
  return rp;
}

caf::result<task_status> handle_error(self_ptr self, const std::string& name,
                                      const std::string& action, const std::string& sql,
                                      const std::string& at,
                                      const std::vector<std::string>& sources) {
  // A binlog position means something on one upstream only.
  if (!at.empty() && sources.size() != 1)
    return make_error(ec::invalid_argument,
                      "binlog " + action + " -b " + at + " names a position of one upstream: "
                      "give its source with exactly one -s");
  auto decided = error_action_from(action);
  if (!decided)
    return make_error(ec::invalid_argument,
                      "handle-error takes skip, replace, inject or revert, not '" + action + "'");
  if (auto it = self->state.tasks.find(name); it != self->state.tasks.end())
    if (auto err = busy(it->second, name)) return err;
  auto rp = self->make_response_promise<task_status>();
  ask_parts(self, name, sources, rp, handle_error_atom_v, *decided, sql, at);
  return rp;
}

std::set<std::string> paused_sources(const std::string& record, const task_config& config) {
  std::set<std::string> out;
  if (record == "Paused") {
    for (auto& inst : config.mysql_instances) out.insert(inst.source_id);
    return out;
  }
  for (size_t start = 0; start < record.size();) {
    auto comma = record.find(',', start);
    if (comma == std::string::npos) comma = record.size();
    if (comma > start) out.insert(record.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

caf::result<task_status> set_paused(self_ptr self, const std::string& name, bool paused,
                                    const std::vector<std::string>& sources) {
  auto rp = self->make_response_promise<task_status>();
  change_paused(self, name, paused, sources, rp);
  return rp;
}

void change_paused(self_ptr self, const std::string& name, bool paused,
                   const std::vector<std::string>& sources,
                   caf::typed_response_promise<task_status> rp) {
  auto& st = self->state;
  auto it = st.tasks.find(name);
  if (it == st.tasks.end()) {
    rp.deliver(not_on_worker(st, "task", name));
    return;
  }
  if (auto err = busy(it->second, name)) {
    rp.deliver(err);
    return;
  }
  auto targets = parts_on(it->second, sources);
  if (targets.empty() && !sources.empty()) {
    rp.deliver(make_error(ec::not_found, "task " + name + " runs on no source of " +
                                             join(sources) + " on worker " + st.worker_name));
    return;
  }
  auto now_paused = it->second.paused;
  if (sources.empty()) {
    now_paused.clear();
    if (paused)
      for (auto& inst : it->second.config.mysql_instances) now_paused.insert(inst.source_id);
  } else {
    for (auto& [id, handle] : targets)
      if (paused) now_paused.insert(id);
      else now_paused.erase(id);
  }
  // Taken at once, so that a command right after this one builds on it (the store writes them
  // in the order given).
  it->second.paused = now_paused;
  auto db = st.db;
  // The operator's choice is kept first, so that a restart keeps the parts as they were left.
  on_store(self, st.store,
           [=] {
             storage::meta_store meta{db};
             return now_paused.empty() ? meta.erase(task_stage_kind, name)
                                       : meta.put(task_stage_kind, name, joined(now_paused));
           },
           [=](caf::error err) mutable {
             auto& st = self->state;
             if (err) {
               rp.deliver(err);
               return;
             }
             auto it = st.tasks.find(name);
             if (it == st.tasks.end()) {
               rp.deliver(make_error(ec::invalid_state, "task " + name + " ended meanwhile"));
               return;
             }
             if (paused) ask_parts(self, name, sources, rp, pause_task_atom_v);
             else ask_parts(self, name, sources, rp, resume_task_atom_v);
           });
}

caf::result<task_status> update_task(self_ptr self, task_config updated) {
  auto& st = self->state;
  auto it = st.tasks.find(updated.name);
  if (it == st.tasks.end())
    return not_on_worker(st, "task", updated.name);
  if (auto err = busy(it->second, updated.name)) return err;
  if (it->second.subtasks.empty())
    return make_error(ec::not_found,
                      "task " + updated.name + " runs on no source of worker " + st.worker_name);
  if (auto err = check_rules_only_update(it->second.config, updated)) return err;
  if (auto err = rules_error(updated)) return err;
  auto rp = self->make_response_promise<task_status>();
  auto name = updated.name;
  it->second.updating = true;
  // Ends the update: clears the mark and answers.
  auto finish = [self, name, rp](caf::expected<task_status> result) mutable {
    auto entry = self->state.tasks.find(name);
    if (entry != self->state.tasks.end()) entry->second.updating = false;
    deliver(rp, std::move(result));
  };
  // Every part back on the persisted config.
  auto roll_back = [self, name] {
    auto& st = self->state;
    auto entry = st.tasks.find(name);
    if (entry == st.tasks.end()) return;
    auto previous = usable(entry->second.config, st.settings.secret_key);
    for (auto& [source_id, handle] : entry->second.subtasks)
      caf::anon_send(handle, update_task_atom_v, previous);
  };
  auto count = it->second.subtasks.size();
  fan_out<subtask_status>(
      self, parts_of(it->second), defaults::status_timeout,
      [=](fan_in<std::string, subtask_status> in) mutable {
        auto refusals = refusals_of(in.errors);
        for (auto& [id, s] : in.results)
          if (s.stage != task_stage::paused)
            refusals.push_back("source " + s.source_id + " is " + to_string(s.stage));
        if (!refusals.empty())
          return finish(make_error(ec::invalid_state, "task " + name + " was not updated: " +
                                                          join(refusals) +
                                                          "; pause it first (pause-task)"));
        auto entry = self->state.tasks.find(name);
        if (entry == self->state.tasks.end())
          return finish(make_error(ec::invalid_state, "task " + name + " ended meanwhile"));
        fan_out<subtask_status>(
            self, parts_of(entry->second), defaults::status_timeout,
            [=](fan_in<std::string, subtask_status> in) mutable {
              auto& st = self->state;
              if (!in.errors.empty() || in.results.empty()) {
                roll_back();
                return finish(make_error(
                    ec::invalid_state,
                    "task " + name + " was not updated: " +
                        (in.errors.empty() ? std::string{"its parts ended meanwhile"}
                                           : join(refusals_of(in.errors)))));
              }
              std::vector<subtask_status> statuses;
              for (auto& [id, s] : in.results) statuses.push_back(std::move(s));
              auto db = st.db;
              auto record = to_json(updated);
              on_store(self, st.store,
                       [=] { return storage::meta_store{db}.put(task_kind, name, record); },
                       [=](caf::error err) mutable {
                         auto& st = self->state;
                         if (err) {
                           roll_back();
                           return finish(err);
                         }
                         if (auto e = st.tasks.find(name); e != st.tasks.end())
                           e->second.config = updated;
                         DM_INFO("worker {} updated the rules of task {}", st.worker_name, name);
                         finish(make_task_status(name, updated, std::move(statuses), count));
                       });
            },
            update_task_atom_v, usable(updated, self->state.settings.secret_key));
      },
      status_atom_v);
  return rp;
}

caf::result<std::string> binlog_schema(self_ptr self, const std::string& task,
                                       const std::string& db, const std::string& table) {
  auto& st = self->state;
  auto it = st.tasks.find(task);
  if (it == st.tasks.end()) return not_on_worker(st, "task", task);
  auto here = sources_here(st, it->second.config);
  if (here.empty())
    return make_error(ec::not_found, "task " + task + " runs on no source of worker " +
                                         st.worker_name);
  const auto* inst = find_instance(it->second.config, here.front());
  const auto& source = st.sources.at(here.front()).config;
  auto rules = table_rules::compile(*inst, source.filters, source.case_sensitive);
  if (!rules) return rules.error();
  if (!rules->replicated(db, table))
    return make_error(ec::not_found, "task " + task + " does not replicate " + db + "." + table);
  auto target = rules->route(db, table);
  if (!target) return target.error();
  auto downstream = usable(it->second.config, st.settings.secret_key).target_database;
  auto name = sql::qualified_name(target->first, target->second);
  auto text = std::make_shared<std::string>();
  auto probe = spawn_probe(self, [=]() -> caf::error {
    auto conn = mysql_connection::open(to_connection_params(downstream), server_role::downstream,
                                       "downstream of task " + task);
    if (!conn) return conn.error();
    auto rows = conn->query("SHOW CREATE TABLE " + name);
    if (!rows) return rows.error();
    if (rows->empty() || rows->front().size() < 2 || !rows->front()[1])
      return make_error(ec::not_found, "downstream table " + name + " does not exist");
    *text = *rows->front()[1];
    return caf::none;
  });
  auto rp = self->make_response_promise<std::string>();
  self->request(probe, defaults::probe_timeout, run_atom_v)
      .then([=](bool) mutable { rp.deliver(*text); },
            [=](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

}  // namespace dm::worker_detail
