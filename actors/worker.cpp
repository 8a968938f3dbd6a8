#include "actors/worker.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>

#include <caf/all.hpp>

#include "actors/connection_settings.hpp"
#include "actors/config_json.hpp"
#include "actors/downstream_meta.hpp"
#include "actors/precheck.hpp"
#include "actors/source.hpp"
#include "actors/table_rules.hpp"
#include "actors/task.hpp"
#include "actors/sync_start.hpp"
#include "actors/task_update.hpp"
#include "actors/upstream_position.hpp"
#include "protocol/log.hpp"
#include "protocol/mysql_connection.hpp"
#include "protocol/password_cipher.hpp"
#include "storage/checkpoint_store.hpp"
#include "storage/database.hpp"
#include "storage/meta_store.hpp"
#include "storage/relay_log.hpp"

namespace dm {

namespace {

using self_ptr = worker_actor::stateful_pointer<worker_actor_state>;

constexpr auto probe_timeout = std::chrono::seconds{30};
constexpr auto status_timeout = std::chrono::seconds{5};
constexpr const char* source_kind = "source";
constexpr const char* task_kind = "task";
// Present (value "Paused") while the operator holds the task paused.
constexpr const char* task_stage_kind = "task_stage";

// Runs a blocking check on a thread of its own; replies `true` or the check's error.
caf::actor spawn_probe(self_ptr self, std::function<caf::error()> check) {
  return self->spawn<caf::detached>([check](caf::event_based_actor* probe) -> caf::behavior {
    return {[=](tick_atom) -> caf::result<bool> {
      probe->quit();
      if (auto err = check()) return err;
      return true;
    }};
  });
}

// The config as the units use it: passwords decrypted (the stored config keeps what was given).
source_config usable(source_config c, const std::string& key) {
  c.from.password = plain_password(c.from.password, key);
  return c;
}
task_config usable(task_config c, const std::string& key) {
  c.target_database.password = plain_password(c.target_database.password, key);
  return c;
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
        return {[=](tick_atom) -> std::vector<check_item> {
          checker->quit();
          std::vector<check_item> items;
          for (auto& source : sources)
            for (auto& item : precheck(usable_task, source)) items.push_back(std::move(item));
          return items;
        }};
      });
}

caf::error probe_connection(const db_config& db, server_role role, const std::string& label) {
  auto params = to_connection_params(db);
  params.connect_timeout = std::chrono::seconds{10};
  auto conn = mysql_connection::open(params, role, label);
  return conn ? caf::none : conn.error();
}

void spawn_source(self_ptr self, const source_config& cfg) {
  auto& st = self->state;
  auto handle =
      self->spawn<caf::monitored>(source, usable(cfg, st.settings.secret_key), st.db, st.settings);
  st.sources[cfg.source_id] = worker_actor_state::source_entry{cfg, handle, {}};
}

void spawn_subtasks(self_ptr self, worker_actor_state::task_entry& entry) {
  auto& st = self->state;
  for (auto& inst : entry.config.mysql_instances) {
    auto src = st.sources.find(inst.source_id);
    if (src == st.sources.end()) continue;  // bound to another worker
    entry.subtasks[inst.source_id] =
        self->spawn<caf::monitored>(task, usable(entry.config, st.settings.secret_key),
                                    usable(src->second.config, st.settings.secret_key), st.db,
                                    src->second.handle, st.settings, entry.paused);
  }
}

bool is_creating(const worker_actor_state& st, const std::string& name) {
  return std::find(st.creating.begin(), st.creating.end(), name) != st.creating.end();
}

void done_creating(worker_actor_state& st, const std::string& name) {
  st.creating.erase(std::remove(st.creating.begin(), st.creating.end(), name), st.creating.end());
}

// Removes what a stopped task leaves on this worker: checkpoints, its records and the dump
// files of an unfinished full migration.
caf::error remove_task_records(worker_actor_state& st, const task_config& config) {
  for (auto& inst : config.mysql_instances) {
    std::error_code ignored;
    std::filesystem::remove_all(dump_dir_of(config, inst.source_id, st.settings.data_dir), ignored);
  }
  caf::error err = st.checkpoints->erase_task(config.name);
  if (!err) err = st.meta->erase(task_kind, config.name);
  if (!err) err = st.meta->erase(task_stage_kind, config.name);
  return err;
}

// Removes the task's rows from its meta tables downstream (downstream_meta.hpp) for each of its
// sources in `source_ids`, on a thread of its own; replies `true` or the error.
caf::actor spawn_meta_removal(self_ptr self, const task_config& config,
                              std::vector<std::string> source_ids) {
  auto target = usable(config, self->state.settings.secret_key).target_database;
  auto name = config.name;
  auto meta_schema = config.meta_schema;
  return spawn_probe(self, [=] {
    auto conn = mysql_connection::open(to_connection_params(target), server_role::downstream,
                                       "downstream of task " + name);
    if (!conn) return conn.error();
    for (auto& id : source_ids)
      if (auto err = erase_meta_rows(*conn, {meta_schema, name, id})) return err;
    return caf::error{};
  });
}

// The last step of stop-task on this worker: the task's local records go, then its rows in the
// downstream meta tables. A downstream that cannot be reached does not stop the stop (those rows
// belong to a run no later task trusts, see downstream_meta.hpp); the reply says so.
void finish_stop(self_ptr self, const std::string& name, const task_config& config,
                 std::vector<caf::typed_response_promise<task_status>> promises) {
  auto& st = self->state;
  auto err = remove_task_records(st, config);
  if (err) {
    for (auto& rp : promises) rp.deliver(err);
    return;
  }
  std::vector<std::string> here;
  for (auto& inst : config.mysql_instances)
    if (st.sources.count(inst.source_id)) here.push_back(inst.source_id);
  auto reply = [=](const std::string& warning) mutable {
    task_status status;
    status.name = name;
    status.stage = "Stopped";
    status.task_mode = config.task_mode;
    for (auto& id : here) {
      subtask_status s;
      s.source_id = id;
      s.worker = self->state.worker_name;
      s.stage = "Stopped";
      if (!warning.empty()) s.warnings.push_back(warning);
      status.subtasks.push_back(std::move(s));
    }
    for (auto& rp : promises) rp.deliver(status);
    DM_INFO("worker {} removed task {}", self->state.worker_name, name);
  };
  if (here.empty()) return reply("");
  self->request(spawn_meta_removal(self, config, here), probe_timeout, tick_atom_v)
      .then([=](bool) mutable { reply(""); },
            [=](caf::error& err) mutable {
              auto warning = "its rows in " + config.meta_schema +
                             ".load_marks and .apply_marks downstream could not be removed (" +
                             describe(err) +
                             "); they are left unused: no later task trusts them";
              DM_WARN("worker {} stopped task {}, but {}", self->state.worker_name, name, warning);
              reply(warning);
            });
}

// Delivers a value or its error.
template <class T>
void deliver(caf::typed_response_promise<T>& rp, caf::expected<T> result) {
  if (result) rp.deliver(std::move(*result));
  else rp.deliver(result.error());
}

// Persists a task that passed its precheck and starts it on its sources here.
caf::expected<task_status> launch_task(self_ptr self, const task_config& cfg) {
  auto& st = self->state;
  if (auto err = st.meta->put(task_kind, cfg.name, to_json(cfg))) return err;
  auto& entry = st.tasks[cfg.name];
  entry.config = cfg;
  spawn_subtasks(self, entry);
  DM_INFO("worker {} started task {} on {} source(s)", st.worker_name, cfg.name,
          entry.subtasks.size());
  task_status status;
  status.name = cfg.name;
  status.stage = "Running";
  status.task_mode = cfg.task_mode;
  for (auto& [source_id, handle] : entry.subtasks) {
    subtask_status s;
    s.source_id = source_id;
    s.worker = st.worker_name;
    s.stage = "Running";
    s.unit = "Sync";
    status.subtasks.push_back(std::move(s));
  }
  return status;
}

// The last steps of start-task: an incremental task without `meta` starts where the upstream's
// binlog stands now, recorded as its sync checkpoint before start-task answers (so that every
// change made after the answer is replicated, however long its syncer takes to start); then
// the task is persisted and started. Ends the task's creating mark.
void start_from_now(self_ptr self, const task_config& cfg, const std::vector<std::string>& here,
                    caf::typed_response_promise<task_status> rp) {
  auto& st = self->state;
  std::vector<source_config> sources;
  if (cfg.task_mode == "incremental")
    for (auto& id : here)
      if (auto* inst = find_instance(cfg, id); inst && inst->meta.empty())
        sources.push_back(usable(st.sources.at(id).config, st.settings.secret_key));
  if (sources.empty()) {
    done_creating(st, cfg.name);
    return deliver(rp, launch_task(self, cfg));
  }
  auto db = st.db;
  auto name = cfg.name;
  auto probe = spawn_probe(self, [=]() -> caf::error {
    for (auto& source : sources) {
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
  self->request(probe, probe_timeout, tick_atom_v)
      .then(
          [=](bool) mutable {
            done_creating(self->state, name);
            deliver(rp, launch_task(self, cfg));
          },
          [=](caf::error& err) mutable {
            done_creating(self->state, name);
            remove_task_records(self->state, cfg);
            rp.deliver(make_error(code_of(err), "task " + name + " was not started: " +
                                                    describe(err)));
          });
}

void restore(self_ptr self) {
  auto& st = self->state;
  auto sources = st.meta->list(source_kind);
  if (!sources) {
    DM_ERROR("worker {} cannot read its sources: {}", st.worker_name, describe(sources.error()));
    return;
  }
  for (auto& [id, text] : *sources) {
    auto cfg = source_config_from_json(text);
    if (!cfg) {
      DM_ERROR("worker {} skips source {}: {}", st.worker_name, id, describe(cfg.error()));
      continue;
    }
    spawn_source(self, *cfg);
  }
  auto tasks = st.meta->list(task_kind);
  if (!tasks) {
    DM_ERROR("worker {} cannot read its tasks: {}", st.worker_name, describe(tasks.error()));
    return;
  }
  for (auto& [name, text] : *tasks) {
    auto cfg = task_config_from_json(text);
    if (!cfg) {
      DM_ERROR("worker {} skips task {}: {}", st.worker_name, name, describe(cfg.error()));
      continue;
    }
    auto& entry = st.tasks[name];
    entry.config = *cfg;
    auto stage = st.meta->get(task_stage_kind, name);
    entry.paused = stage && *stage;
    spawn_subtasks(self, entry);
  }
  DM_INFO("worker {} restored {} sources and {} tasks", st.worker_name, st.sources.size(),
          st.tasks.size());
}

// Collects the status of `names` (all tasks when empty) and of every source, then delivers.
void collect_status(self_ptr self, std::vector<std::string> names,
                    caf::typed_response_promise<status_reply> rp) {
  auto& st = self->state;
  struct pending {
    status_reply reply;
    size_t waiting = 0;
    caf::typed_response_promise<status_reply> rp;
    void finish_one() {
      if (--waiting == 0) rp.deliver(std::move(reply));
    }
  };
  auto acc = std::make_shared<pending>();
  acc->rp = rp;
  acc->waiting = 1;  // released at the end, so that delivery waits for every request
  for (auto& name : names) {
    auto& entry = st.tasks.at(name);
    auto index = acc->reply.tasks.size();
    task_status ts;
    ts.name = name;
    ts.task_mode = entry.config.task_mode;
    ts.stage = entry.stopping.empty() ? "Running" : "Stopping";
    acc->reply.tasks.push_back(ts);
    auto parts = entry.subtasks.size();
    for (auto& [source_id, handle] : entry.subtasks) {
      ++acc->waiting;
      auto source_id_copy = source_id;
      self->request(handle, status_timeout, status_atom_v)
          .then(
              [=](subtask_status& s) {
                auto& t = acc->reply.tasks[index];
                if (s.stage == "Paused") t.stage = "Paused";
                t.subtasks.push_back(std::move(s));
                // A full task is Finished when every part is.
                if (t.stage == "Running" && t.subtasks.size() == parts &&
                    std::all_of(t.subtasks.begin(), t.subtasks.end(),
                                [](const subtask_status& x) { return x.stage == "Finished"; }))
                  t.stage = "Finished";
                acc->finish_one();
              },
              [=](caf::error& err) {
                subtask_status s;
                s.source_id = source_id_copy;
                s.stage = "Unknown";
                s.last_error = describe(err);
                acc->reply.tasks[index].subtasks.push_back(std::move(s));
                acc->finish_one();
              });
    }
  }
  for (auto& [id, entry] : st.sources) {
    ++acc->waiting;
    auto id_copy = id;
    self->request(entry.handle, status_timeout, status_atom_v)
        .then(
            [=](source_status& s) {
              acc->reply.sources.push_back(std::move(s));
              acc->finish_one();
            },
            [=](caf::error& err) {
              source_status s;
              s.source_id = id_copy;
              s.relay.stage = "Unknown";
              s.relay.last_error = describe(err);
              acc->reply.sources.push_back(std::move(s));
              acc->finish_one();
            });
  }
  acc->finish_one();
}

// One step of an orderly shutdown: stop the tasks, once they are gone the sources, then quit.
void shutdown_step(self_ptr self) {
  auto& st = self->state;
  bool tasks_alive = false;
  for (auto& [name, entry] : st.tasks)
    for (auto& [source_id, handle] : entry.subtasks) {
      tasks_alive = true;
      self->send_exit(handle, caf::exit_reason::user_shutdown);
    }
  if (tasks_alive) return;
  if (!st.sources.empty()) {
    for (auto& [id, entry] : st.sources) self->send_exit(entry.handle, caf::exit_reason::user_shutdown);
    return;
  }
  DM_INFO("worker {} stopped", st.worker_name);
  self->quit(st.shutdown_reason);
}

// Removes the actor that went down from the worker's books during shutdown.
void forget(worker_actor_state& st, const caf::actor_addr& who) {
  for (auto it = st.sources.begin(); it != st.sources.end(); ++it)
    if (it->second.handle.address() == who) {
      st.sources.erase(it);
      return;
    }
  for (auto& [name, entry] : st.tasks)
    for (auto it = entry.subtasks.begin(); it != entry.subtasks.end(); ++it)
      if (it->second.address() == who) {
        entry.subtasks.erase(it);
        return;
      }
}

void on_down(self_ptr self, caf::down_msg& msg) {
  auto& st = self->state;
  if (st.shutting_down) {
    forget(st, msg.source);
    bool tasks_alive = false;
    for (auto& [name, entry] : st.tasks) tasks_alive |= !entry.subtasks.empty();
    if (!tasks_alive) shutdown_step(self);
    return;
  }
  for (auto it = st.sources.begin(); it != st.sources.end(); ++it) {
    if (it->second.handle.address() != msg.source) continue;
    auto id = it->first;
    auto entry = std::move(it->second);
    st.sources.erase(it);
    if (entry.stopping.empty()) {
      DM_ERROR("worker {} lost source {} ({}); restarting it", st.worker_name, id,
               describe(msg.reason));
      spawn_source(self, entry.config);
      return;
    }
    storage::relay_log log{st.db, id};
    caf::error err = log.erase_all();
    if (!err) err = st.meta->erase(source_kind, id);
    source_status status;
    status.source_id = id;
    status.worker = st.worker_name;
    status.relay.stage = "Stopped";
    for (auto& rp : entry.stopping) {
      if (err) rp.deliver(err);
      else rp.deliver(status);
    }
    DM_INFO("worker {} removed source {}", st.worker_name, id);
    return;
  }
  for (auto& [name, entry] : st.tasks) {
    for (auto it = entry.subtasks.begin(); it != entry.subtasks.end(); ++it) {
      if (it->second.address() != msg.source) continue;
      auto source_id = it->first;
      entry.subtasks.erase(it);
      if (entry.stopping.empty()) {
        DM_ERROR("worker {} lost task {} on source {} ({}); restarting it", st.worker_name, name,
                 source_id, describe(msg.reason));
        auto src = st.sources.find(source_id);
        if (src != st.sources.end())
          entry.subtasks[source_id] =
              self->spawn<caf::monitored>(task, usable(entry.config, st.settings.secret_key),
                                          usable(src->second.config, st.settings.secret_key),
                                          st.db, src->second.handle, st.settings, entry.paused);
        return;
      }
      if (!entry.subtasks.empty()) return;
      auto task_name = name;
      auto promises = std::move(entry.stopping);
      auto config = std::move(entry.config);
      st.tasks.erase(task_name);
      finish_stop(self, task_name, config, std::move(promises));
      return;
    }
  }
}

// Sends `xs...` to every subtask of `entry` and, once each answered, calls
// `done(statuses, refusals)` with the subtasks' statuses and the one-line reasons of those that
// refused.
template <class Done, class... Ts>
void gather_subtasks(self_ptr self, const worker_actor_state::task_entry& entry, Done done,
                     Ts... xs) {
  struct pending {
    std::vector<subtask_status> statuses;
    std::vector<std::string> refusals;
    size_t waiting = 0;
  };
  if (entry.subtasks.empty()) {
    done(std::vector<subtask_status>{}, std::vector<std::string>{});
    return;
  }
  auto acc = std::make_shared<pending>();
  acc->waiting = entry.subtasks.size();
  auto finish_one = [acc, done]() mutable {
    if (--acc->waiting == 0) done(std::move(acc->statuses), std::move(acc->refusals));
  };
  for (auto& [source_id, handle] : entry.subtasks)
    self->request(handle, status_timeout, xs...)
        .then(
            [=](subtask_status& s) mutable {
              acc->statuses.push_back(std::move(s));
              finish_one();
            },
            [=](caf::error& err) mutable {
              acc->refusals.push_back(describe(err));
              finish_one();
            });
}

std::string join(const std::vector<std::string>& parts, const char* separator = "; ") {
  std::string out;
  for (auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

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

task_status make_task_status(const std::string& name, const task_config& config,
                             std::vector<subtask_status> subtasks) {
  task_status status;
  status.name = name;
  status.task_mode = config.task_mode;
  status.stage = "Running";
  for (auto& s : subtasks)
    if (s.stage == "Paused") status.stage = "Paused";
  status.subtasks = std::move(subtasks);
  return status;
}

// Sends `xs...` to every subtask of task `name` and answers with their statuses; fails with
// the subtasks' refusals when every one refused.
template <class... Ts>
caf::result<task_status> ask_subtasks(self_ptr self, const std::string& name, Ts... xs) {
  auto& st = self->state;
  auto it = st.tasks.find(name);
  if (it == st.tasks.end())
    return make_error(ec::not_found, "task " + name + " does not exist on worker " + st.worker_name);
  if (it->second.subtasks.empty())
    return make_error(ec::not_found,
                      "task " + name + " runs on no source of worker " + st.worker_name);
  auto rp = self->make_response_promise<task_status>();
  auto config = it->second.config;
  gather_subtasks(
      self, it->second,
      [=](std::vector<subtask_status> statuses, std::vector<std::string> refusals) mutable {
        if (statuses.empty()) rp.deliver(make_error(ec::invalid_state, join(refusals)));
        else rp.deliver(make_task_status(name, config, std::move(statuses)));
      },
      xs...);
  return rp;
}

// Refuses a command about a task that is being stopped or updated (nothing may resume, pause
// or stop it while update-task changes its parts' rules).
caf::error busy(const worker_actor_state::task_entry& entry, const std::string& name) {
  if (!entry.stopping.empty())
    return make_error(ec::invalid_state, "task " + name + " is being stopped");
  if (entry.updating)
    return make_error(ec::invalid_state,
                      "task " + name + " is being updated (update-task); try again in a moment");
  return {};
}

// update-task: checks that only rules change and that every subtask here is Paused, then hands
// the new config to the subtasks and persists it. While it runs the task is marked updating, so
// that no subtask resumes in between; if any subtask refuses (its full migration is not
// finished, it is still stopping its units) or the config cannot be persisted, every subtask
// gets the previous config back.
caf::result<task_status> update_task(self_ptr self, task_config updated) {
  auto& st = self->state;
  auto it = st.tasks.find(updated.name);
  if (it == st.tasks.end())
    return make_error(ec::not_found,
                      "task " + updated.name + " does not exist on worker " + st.worker_name);
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
    if (result) rp.deliver(std::move(*result));
    else rp.deliver(result.error());
  };
  // Every subtask back on the persisted config.
  auto roll_back = [self, name] {
    auto& st = self->state;
    auto entry = st.tasks.find(name);
    if (entry == st.tasks.end()) return;
    auto previous = usable(entry->second.config, st.settings.secret_key);
    for (auto& [source_id, handle] : entry->second.subtasks)
      caf::anon_send(handle, update_task_atom_v, previous);
  };
  gather_subtasks(
      self, it->second,
      [=](std::vector<subtask_status> statuses, std::vector<std::string> refusals) mutable {
        for (auto& s : statuses)
          if (s.stage != "Paused") refusals.push_back("source " + s.source_id + " is " + s.stage);
        if (!refusals.empty()) {
          finish(make_error(ec::invalid_state, "task " + name + " was not updated: " +
                                                   join(refusals) + "; pause it first (pause-task)"));
          return;
        }
        auto entry = self->state.tasks.find(name);
        if (entry == self->state.tasks.end()) {
          finish(make_error(ec::invalid_state, "task " + name + " ended meanwhile"));
          return;
        }
        gather_subtasks(
            self, entry->second,
            [=](std::vector<subtask_status> statuses,
                std::vector<std::string> refusals) mutable {
              auto& st = self->state;
              caf::error err;
              if (!refusals.empty())
                err = make_error(ec::invalid_state,
                                 "task " + name + " was not updated: " + join(refusals));
              else if (statuses.empty())
                err = make_error(ec::invalid_state,
                                 "task " + name + " was not updated: its parts ended meanwhile");
              else
                err = st.meta->put(task_kind, name, to_json(updated));
              if (err) {
                roll_back();
                finish(err);
                return;
              }
              if (auto entry = st.tasks.find(name); entry != st.tasks.end())
                entry->second.config = updated;
              DM_INFO("worker {} updated the rules of task {}", st.worker_name, name);
              finish(make_task_status(name, updated, std::move(statuses)));
            },
            update_task_atom_v, usable(updated, self->state.settings.secret_key));
      },
      status_atom_v);
  return rp;
}

// pause-task / resume-task: records the operator's choice, then tells every subtask.
caf::result<task_status> set_paused(self_ptr self, const std::string& name, bool paused) {
  auto& st = self->state;
  auto it = st.tasks.find(name);
  if (it == st.tasks.end())
    return make_error(ec::not_found, "task " + name + " does not exist on worker " + st.worker_name);
  if (auto err = busy(it->second, name)) return err;
  auto err = paused ? st.meta->put(task_stage_kind, name, "Paused")
                    : st.meta->erase(task_stage_kind, name);
  if (err) return err;
  it->second.paused = paused;
  if (paused) return ask_subtasks(self, name, pause_task_atom_v);
  return ask_subtasks(self, name, resume_task_atom_v);
}

}  // namespace

worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_actor_state> self,
                                   worker_settings settings,
                                   std::shared_ptr<storage::database> db) {
  auto& st = self->state;
  st.worker_name = settings.name;
  st.worker_addr = settings.addr;
  st.settings = std::move(settings);
  st.db = std::move(db);
  st.meta = std::make_unique<storage::meta_store>(st.db);
  st.checkpoints = std::make_unique<storage::checkpoint_store>(st.db);
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.shutting_down) return;
    st.shutting_down = true;
    st.shutdown_reason = msg.reason;
    DM_INFO("worker {} stops its tasks and sources", st.worker_name);
    shutdown_step(self);
  });
  restore(self);
  return {
      [=](operate_source_atom, create_atom,
          source_config cfg) -> caf::result<source_status> {
        auto& st = self->state;
        if (st.sources.count(cfg.source_id) || is_creating(st, cfg.source_id))
          return make_error(ec::already_exists,
                            "source " + cfg.source_id + " already exists on worker " +
                                st.worker_name + "; stop it first to change it");
        auto label = "upstream of source " + cfg.source_id + " (" + cfg.from.host + ":" +
                     std::to_string(cfg.from.port) + ")";
        st.creating.push_back(cfg.source_id);
        auto rp = self->make_response_promise<source_status>();
        auto probe = spawn_probe(self, [db = usable(cfg, st.settings.secret_key).from, label] {
          return probe_connection(db, server_role::upstream, label);
        });
        self->request(probe, probe_timeout, tick_atom_v)
            .then(
                [=](bool) mutable {
                  auto& st = self->state;
                  done_creating(st, cfg.source_id);
                  if (auto err = st.meta->put(source_kind, cfg.source_id, to_json(cfg))) {
                    rp.deliver(err);
                    return;
                  }
                  spawn_source(self, cfg);
                  DM_INFO("worker {} created source {}", st.worker_name, cfg.source_id);
                  self->request(st.sources[cfg.source_id].handle, status_timeout, status_atom_v)
                      .then([=](source_status& s) mutable { rp.deliver(std::move(s)); },
                            [=](caf::error& err) mutable { rp.deliver(err); });
                },
                [=](caf::error& err) mutable {
                  done_creating(self->state, cfg.source_id);
                  rp.deliver(make_error(code_of(err) == ec::none ? ec::upstream_unreachable
                                                                 : code_of(err),
                                        "source " + cfg.source_id +
                                            " was not created: " + describe(err)));
                });
        return rp;
      },
      [=](operate_source_atom, show_atom,
          const std::string& id) -> caf::result<std::vector<source_status>> {
        auto& st = self->state;
        if (!id.empty() && !st.sources.count(id))
          return make_error(ec::not_found,
                            "source " + id + " does not exist on worker " + st.worker_name);
        auto out = std::make_shared<std::vector<source_status>>();
        auto waiting = std::make_shared<size_t>(0);
        for (auto& [sid, entry] : st.sources)
          if (id.empty() || sid == id) ++*waiting;
        if (*waiting == 0) return std::vector<source_status>{};
        // Only now: making a promise takes over the reply.
        auto rp = self->make_response_promise<std::vector<source_status>>();
        for (auto& [sid, entry] : st.sources) {
          if (!id.empty() && sid != id) continue;
          self->request(entry.handle, status_timeout, status_atom_v)
              .then(
                  [=](source_status& s) mutable {
                    out->push_back(std::move(s));
                    if (--*waiting == 0) rp.deliver(std::move(*out));
                  },
                  [=](caf::error& err) mutable { rp.deliver(err); });
        }
        return rp;
      },
      [=](operate_source_atom, stop_atom, const std::string& id) -> caf::result<source_status> {
        auto& st = self->state;
        auto it = st.sources.find(id);
        if (it == st.sources.end())
          return make_error(ec::not_found,
                            "source " + id + " does not exist on worker " + st.worker_name);
        std::vector<std::string> users;
        for (auto& [name, entry] : st.tasks)
          if (find_instance(entry.config, id)) users.push_back(name);
        if (!users.empty()) {
          return make_error(ec::invalid_state, "source " + id + " is used by task(s) " +
                                                   join(users, ", ") +
                                                   "; stop them first");
        }
        auto rp = self->make_response_promise<source_status>();
        it->second.stopping.push_back(rp);
        if (it->second.stopping.size() == 1)
          self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
        return rp;
      },
      [=](start_task_atom, task_config cfg, bool remove_meta) -> caf::result<task_status> {
        auto& st = self->state;
        if (st.tasks.count(cfg.name) || is_creating(st, cfg.name))
          return make_error(ec::already_exists, "task " + cfg.name + " already exists on worker " +
                                                    st.worker_name + "; stop it first");
        if (auto err = rules_error(cfg)) return err;
        std::vector<std::string> here, elsewhere;
        for (auto& inst : cfg.mysql_instances)
          (st.sources.count(inst.source_id) ? here : elsewhere).push_back(inst.source_id);
        if (here.empty()) {
          return make_error(ec::not_found, "task " + cfg.name + " names source(s) " +
                                               join(elsewhere, ", ") +
                                               ", none of which exists on worker " +
                                               st.worker_name +
                                               "; create them with operate-source create");
        }
        st.creating.push_back(cfg.name);
        auto rp = self->make_response_promise<task_status>();
        self->request(spawn_precheck(self, cfg), probe_timeout, tick_atom_v)
            .then(
                [=](std::vector<check_item>& items) mutable {
                  auto& st = self->state;
                  if (auto failed = describe_failures(items); !failed.empty()) {
                    done_creating(st, cfg.name);
                    rp.deliver(make_error(ec::invalid_state,
                                          "task " + cfg.name + " was not started: precheck "
                                          "failed: " + failed));
                    return;
                  }
                  if (!remove_meta) return start_from_now(self, cfg, here, rp);
                  // start-task --remove-meta: nothing of an earlier task of the name stays.
                  if (auto err = remove_task_records(st, cfg)) {
                    done_creating(st, cfg.name);
                    rp.deliver(err);
                    return;
                  }
                  self->request(spawn_meta_removal(self, cfg, here), probe_timeout, tick_atom_v)
                      .then(
                          [=](bool) mutable {
                            DM_INFO("worker {} removed the meta of earlier task {} downstream",
                                    self->state.worker_name, cfg.name);
                            start_from_now(self, cfg, here, rp);
                          },
                          [=](caf::error& err) mutable {
                            done_creating(self->state, cfg.name);
                            rp.deliver(make_error(code_of(err),
                                                  "task " + cfg.name +
                                                      " was not started: --remove-meta could "
                                                      "not remove its rows downstream: " +
                                                      describe(err)));
                          });
                },
                [=](caf::error& err) mutable {
                  done_creating(self->state, cfg.name);
                  rp.deliver(make_error(code_of(err) == ec::none ? ec::downstream_unavailable
                                                                 : code_of(err),
                                        "task " + cfg.name + " was not started: " +
                                            describe(err)));
                });
        return rp;
      },
      [=](check_task_atom, task_config cfg) -> caf::result<std::vector<check_item>> {
        auto& st = self->state;
        bool any_here = false;
        for (auto& inst : cfg.mysql_instances) any_here |= st.sources.count(inst.source_id) > 0;
        if (!any_here)
          return make_error(ec::not_found, "task " + cfg.name + " names no source of worker " +
                                               st.worker_name);
        auto rp = self->make_response_promise<std::vector<check_item>>();
        self->request(spawn_precheck(self, cfg), probe_timeout, tick_atom_v)
            .then([=](std::vector<check_item>& items) mutable { rp.deliver(std::move(items)); },
                  [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](query_status_atom, const std::string& name) -> caf::result<status_reply> {
        auto& st = self->state;
        std::vector<std::string> names;
        if (name.empty()) {
          for (auto& [n, entry] : st.tasks) names.push_back(n);
        } else if (st.tasks.count(name)) {
          names.push_back(name);
        } else {
          return make_error(ec::not_found,
                            "task " + name + " does not exist on worker " + st.worker_name);
        }
        auto rp = self->make_response_promise<status_reply>();
        collect_status(self, std::move(names), rp);
        return rp;
      },
      [=](stop_task_atom, const std::string& name) -> caf::result<task_status> {
        auto& st = self->state;
        auto it = st.tasks.find(name);
        if (it == st.tasks.end())
          return make_error(ec::not_found,
                            "task " + name + " does not exist on worker " + st.worker_name);
        auto& entry = it->second;
        if (entry.updating) return busy(entry, name);
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
      },
      [=](purge_relay_atom, const std::string& id,
          const std::string& before_file) -> caf::result<purge_result> {
        auto& st = self->state;
        auto it = st.sources.find(id);
        if (it == st.sources.end())
          return make_error(ec::not_found,
                            "source " + id + " does not exist on worker " + st.worker_name);
        auto rp = self->make_response_promise<purge_result>();
        self->request(it->second.handle, status_timeout, purge_relay_atom_v, before_file)
            .then([=](purge_result& r) mutable { rp.deliver(std::move(r)); },
                  [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](handle_error_atom, const std::string& name, const std::string& action,
          const std::string& sql) -> caf::result<task_status> {
        if (auto it = self->state.tasks.find(name); it != self->state.tasks.end())
          if (auto err = busy(it->second, name)) return err;
        return ask_subtasks(self, name, handle_error_atom_v, action, sql);
      },
      [=](pause_task_atom, const std::string& name) -> caf::result<task_status> {
        return set_paused(self, name, true);
      },
      [=](resume_task_atom, const std::string& name) -> caf::result<task_status> {
        return set_paused(self, name, false);
      },
      [=](update_task_atom, task_config cfg) -> caf::result<task_status> {
        return update_task(self, std::move(cfg));
      },
      [=](list_member_atom) -> std::vector<member_info> {
        auto& st = self->state;
        member_info m;
        m.name = st.worker_name;
        m.addr = st.worker_addr;
        m.state = "online";
        for (auto& [id, entry] : st.sources) m.sources.push_back(id);
        for (auto& [name, entry] : st.tasks) m.tasks.push_back(name);
        return {m};
      },
  };
}

}  // namespace dm
