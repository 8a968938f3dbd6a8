#include "actors/worker.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/cluster_member.hpp"
#include "actors/source.hpp"
#include "actors/shard_coordinator.hpp"
#include "actors/store.hpp"
#include "actors/task.hpp"
#include "actors/worker_internal.hpp"
#include "common/defaults.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "model/config_json.hpp"
#include "protocol/password_cipher.hpp"
#include "storage/database.hpp"

namespace dm {

namespace worker_detail {

source_config usable(source_config c, const std::string& key) {
  c.from.password = plain_password(c.from.password, key);
  return c;
}

task_config usable(task_config c, const std::string& key) {
  c.target_database.password = plain_password(c.target_database.password, key);
  return c;
}

caf::actor spawn_probe(self_ptr self, std::function<caf::error()> check) {
  return self->spawn<caf::detached>([check](caf::event_based_actor* probe) -> caf::behavior {
    return {[=](run_atom) -> caf::result<bool> {
      probe->quit();
      if (auto err = check()) return err;
      return true;
    }};
  });
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

void spawn_source(self_ptr self, const source_config& cfg) {
  auto& st = self->state;
  auto [it, fresh] = st.sources.try_emplace(cfg.source_id);
  if (fresh) it->second.respawn = restart_policy{defaults::actor_respawn};
  auto handle = self->spawn<caf::monitored>(source, usable(cfg, st.settings.secret_key), st.db,
                                            st.store, st.settings, it->second.relay_paused);
  it->second.config = cfg;
  it->second.handle = handle;
}

void spawn_subtask(self_ptr self, const std::string& name, worker_actor_state::task_entry& entry,
                   const std::string& source_id) {
  auto& st = self->state;
  auto src = st.sources.find(source_id);
  if (src == st.sources.end()) return;  // bound to another worker, or gone
  // In a cluster, only parts taken over for this worker's binding (worker_cluster.cpp).
  if (!st.settings.join.empty()) {
    auto taken = st.cluster_parts_taken.find(name);
    if (taken == st.cluster_parts_taken.end() || !taken->second.count(source_id)) return;
  }
  entry.subtasks[source_id] = self->spawn<caf::monitored>(
      task, usable(entry.config, st.settings.secret_key),
      usable(src->second.config, st.settings.secret_key), st.db, src->second.handle, st.store,
      st.settings, entry.paused.count(source_id) > 0, real_units());
  entry.respawn.try_emplace(source_id, defaults::actor_respawn);
}

void spawn_subtasks(self_ptr self, const std::string& name,
                    worker_actor_state::task_entry& entry) {
  for (auto& inst : entry.config.mysql_instances) spawn_subtask(self, name, entry, inst.source_id);
}

}  // namespace worker_detail

namespace {

using namespace worker_detail;

void restore(self_ptr self) {
  auto& st = self->state;
  if (!st.settings.join.empty()) {
    // In a cluster the bindings in etcd say what runs here; the stored records are a cache.
    DM_INFO("worker {} is in the cluster at {}: it runs the sources etcd binds to it",
            st.worker_name, st.settings.join);
    return;
  }
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
    auto held = st.meta->get(relay_stage_kind, id);
    st.sources[id].relay_paused = held && *held;
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
    if (stage && *stage) entry.paused = paused_sources(**stage, entry.config);
    spawn_subtasks(self, name, entry);
  }
  DM_INFO("worker {} restored {} sources and {} tasks", st.worker_name, st.sources.size(),
          st.tasks.size());
}

// One step of an orderly shutdown, in this order: stop the tasks; once they are gone, the
// sources; then quit.
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
    for (auto& [id, entry] : st.sources)
      self->send_exit(entry.handle, caf::exit_reason::user_shutdown);
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
  for (auto& [id, entry] : st.sources)
    if (entry.handle.address() == msg.source) return on_source_down(self, id, msg.reason);
  for (auto& [name, entry] : st.tasks)
    for (auto& [source_id, handle] : entry.subtasks)
      if (handle.address() == msg.source) {
        auto task_name = name;
        auto id = source_id;
        return on_subtask_down(self, task_name, id, msg.reason);
      }
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
  st.store = self->spawn<caf::detached + caf::linked>(store);
  st.shard_locks = spawn_shard_coordinator(self, st.db, st.settings);
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    if (msg.source == st.store.address() || msg.source == st.shard_locks.address())
      return self->quit(msg.reason);
    if (st.cluster_member && msg.source == st.cluster_member.address())
      DM_ERROR("worker {} lost its cluster member ({}); stopping", st.worker_name,
               describe(msg.reason));
    if (st.shutting_down) return;
    st.shutting_down = true;
    st.shutdown_reason = msg.reason;
    DM_INFO("worker {} stops its tasks and sources", st.worker_name);
    shutdown_step(self);
    // Tasks kill their units after the grace period; whatever still runs after twice that is
    // killed with the worker.
    self->delayed_send(self, 2 * defaults::shutdown_grace, stop_atom_v);
  });
  restore(self);
  if (!st.settings.join.empty())
    st.cluster_member = spawn_cluster_member(self, self, st.settings, st.db);
  return {
      [=](operate_source_atom, create_atom, source_config cfg) -> caf::result<source_status> {
        if (auto err = refused_in_cluster(self->state, "create sources with dmctl --master-addr "
                                                       "naming the etcd endpoints"))
          return err;
        return create_source(self, std::move(cfg));
      },
      [=](operate_source_atom, show_atom, const std::string& id) {
        return show_sources(self, id);
      },
      [=](operate_source_atom, stop_atom,
          const std::string& id) -> caf::result<source_status> {
        if (auto err = refused_in_cluster(self->state, "remove sources with dmctl --master-addr "
                                                       "naming the etcd endpoints"))
          return err;
        return stop_source(self, id);
      },
      [=](start_task_atom, task_config cfg, bool remove_meta,
          int64_t start_time) -> caf::result<task_status> {
        if (auto err = refused_in_cluster(self->state, "start tasks with dmctl --master-addr "
                                                       "naming the etcd endpoints"))
          return err;
        return start_task(self, std::move(cfg), remove_meta, start_time);
      },
      [=](cluster_bind_atom, source_config cfg) { return cluster_bind(self, std::move(cfg)); },
      [=](cluster_release_atom, const std::string& id) { return cluster_release(self, id); },
      [=](cluster_release_atom) { fence(self, "its cluster member lost the etcd lease"); },
      [=](cluster_tasks_atom, std::vector<task_config>& tasks) {
        self->state.cluster_tasks = std::move(tasks);
        run_cluster_tasks(self);
      },
      [=](cluster_lease_atom, int64_t until_ms) {
        if (until_ms) return note_lease_proof(self, until_ms);
        // A proof ran out: stop everything unless a newer one came meanwhile.
        auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
        if (now >= self->state.lease_proven_until_ms)
          fence(self, "its etcd lease is not proven alive (no keepalive answered in time)");
      },
      [=](check_task_atom, task_config cfg) { return check_task(self, std::move(cfg)); },
      [=](query_status_atom, const std::string& name) { return query_status(self, name); },
      [=](stop_task_atom, const std::string& name, const std::vector<std::string>& sources) {
        return stop_task(self, name, sources);
      },
      [=](purge_relay_atom, const std::string& id, const std::string& before_file) {
        return purge_relay(self, id, before_file);
      },
      [=](handle_error_atom, const std::string& name, const std::string& action,
          const std::string& sql, const std::string& at, const std::vector<std::string>& sources) {
        return handle_error(self, name, action, sql, at, sources);
      },
      [=](pause_task_atom, const std::string& name, const std::vector<std::string>& sources) {
        return set_paused(self, name, true, sources);
      },
      [=](resume_task_atom, const std::string& name, const std::vector<std::string>& sources) {
        return set_paused(self, name, false, sources);
      },
      [=](update_task_atom, task_config cfg) -> caf::result<task_status> {
        if (auto err = refused_in_cluster(self->state, "update-task is not supported in a "
                                                       "cluster yet (stop-task, then start-task)"))
          return err;
        return update_task(self, std::move(cfg));
      },
      [=](relay_op_atom, const std::string& op, const std::string& id) {
        return relay_op(self, op, id);
      },
      [=](binlog_schema_atom, const std::string& task, const std::string& db,
          const std::string& table) { return binlog_schema(self, task, db, table); },
      [=](show_ddl_locks_atom,
          const std::string& task) -> caf::result<std::vector<shard_lock_status>> {
        if (!task.empty() && !self->state.tasks.count(task))
          return not_on_worker(self->state, "task", task);
        auto rp = self->make_response_promise<std::vector<shard_lock_status>>();
        self->request(self->state.shard_locks, defaults::status_timeout, show_ddl_locks_atom_v,
                      task)
            .then([=](std::vector<shard_lock_status>& locks) mutable { rp.deliver(locks); },
                  [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](unlock_ddl_lock_atom, const std::string& id, bool force_remove) {
        auto rp = self->make_response_promise<shard_lock_status>();
        self->request(self->state.shard_locks, defaults::status_timeout, unlock_ddl_lock_atom_v,
                      id, force_remove)
            .then([=](shard_lock_status& lock) mutable { rp.deliver(lock); },
                  [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](get_config_atom, const std::string& kind,
          const std::string& name) -> caf::result<std::string> {
        auto& st = self->state;
        if (kind == "task") {
          auto it = st.tasks.find(name);
          if (it == st.tasks.end()) return not_on_worker(st, "task", name);
          return to_json(it->second.config);
        }
        if (kind == "source") {
          auto it = st.sources.find(name);
          if (it == st.sources.end()) return not_on_worker(st, "source", name);
          return to_json(it->second.config);
        }
        if (kind == "worker") {
          if (name != st.worker_name) return not_on_worker(st, "worker", name);
          return nlohmann::json{{"name", st.worker_name},
                                {"worker-addr", st.worker_addr},
                                {"data-dir", st.settings.data_dir},
                                {"relay-fsync-ms", st.settings.relay_fsync_ms}}
              .dump();
        }
        return make_error(ec::invalid_argument,
                          "get-config takes task, source or worker, not '" + kind + "'");
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
      [=](restart_atom, const std::string& id) {
        auto& st = self->state;
        auto it = st.sources.find(id);
        if (st.shutting_down || it == st.sources.end() || it->second.handle) return;
        spawn_source(self, it->second.config);
      },
      [=](restart_atom, const std::string& name, const std::string& source_id) {
        auto& st = self->state;
        auto it = st.tasks.find(name);
        if (st.shutting_down || it == st.tasks.end() || !it->second.stopping.empty() ||
            it->second.leaving || it->second.subtasks.count(source_id) ||
            (it->second.parting && it->second.parting->sources.count(source_id)) ||
            std::none_of(it->second.config.mysql_instances.begin(),
                         it->second.config.mysql_instances.end(),
                         [&](const auto& inst) { return inst.source_id == source_id; }))
          return;
        spawn_subtask(self, name, it->second, source_id);
      },
      [=](stop_atom) {
        auto& st = self->state;
        DM_WARN("worker {} kills what did not stop within {} s", st.worker_name,
                2 * defaults::shutdown_grace.count());
        for (auto& [name, entry] : st.tasks)
          for (auto& [source_id, handle] : entry.subtasks)
            self->send_exit(handle, caf::exit_reason::kill);
        for (auto& [id, entry] : st.sources) self->send_exit(entry.handle, caf::exit_reason::kill);
        self->quit(st.shutdown_reason);
      },
  };
}

}  // namespace dm
