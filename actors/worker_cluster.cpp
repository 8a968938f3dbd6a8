// The worker's side of a cluster (worker.toml `join`, actors/cluster_member.hpp): it runs the
// sources the member binds, stops those it gives up, and fences itself when its lease is not
// proven alive. The decisions about etcd are the member's; these only act on this worker.
#include <chrono>

#include <caf/all.hpp>

#include "actors/store.hpp"
#include "actors/worker_internal.hpp"
#include "common/defaults.hpp"
#include "common/log.hpp"
#include "io/part_takeover.hpp"

namespace dm::worker_detail {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool lease_proven(const worker_actor_state& st) { return now_ms() < st.lease_proven_until_ms; }

// How long a task removed from etcd may run here, waiting for dmctl's stop-task to remove it.
constexpr int64_t cluster_stop_grace_ms = 10000;

bool names_source(const task_config& task, const std::string& id) {
  return find_instance(task, id) != nullptr;
}

// The source runs here and nothing is taking it away.
bool running_here(const worker_actor_state& st, const std::string& id) {
  auto it = st.sources.find(id);
  return it != st.sources.end() && it->second.handle && !it->second.leaving &&
         it->second.stopping.empty() && !st.releasing.count(id);
}

// Stops this worker's parts of task `name`, keeping their records (the cluster runs them
// elsewhere, or here again later from the checkpoint downstream).
void let_task_go(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto it = st.tasks.find(name);
  if (it == st.tasks.end() || it->second.leaving) return;
  auto& entry = it->second;
  entry.leaving = true;
  if (entry.subtasks.empty()) {
    st.tasks.erase(it);
    on_cluster_task_gone(self);
    return;
  }
  for (auto& [source_id, handle] : entry.subtasks)
    self->send_exit(handle, caf::exit_reason::user_shutdown);
}

void note_task_problem(self_ptr self, const std::string& name, const std::string& text) {
  auto& st = self->state;
  auto& last = st.cluster_task_problems[name];
  if (last == text) return;
  last = text;
  DM_WARN("worker {} cannot run task {} yet (tried again each tick): {}", st.worker_name, name,
          text);
}

// Whether `sources` still run here, under the bindings (epochs) their parts were taken over for.
bool still_bound(const worker_actor_state& st, const std::vector<std::string>& sources,
                 const std::map<std::string, int64_t>& epochs) {
  bool still = lease_proven(st) && !st.shutting_down;
  for (auto& id : sources)
    still = still && running_here(st, id) &&
            st.sources.at(id).config.cluster_epoch == epochs.at(id);
  return still;
}

// Starts the parts taken over (start_cluster_task) once `fresh` ones that copy first are
// recorded in etcd as copying here (cluster_member.hpp, step 5), in the stage etcd has now
// (the operator may have paused the task meanwhile).
void launch_taken_parts(self_ptr self, const task_config& cfg,
                        const std::vector<std::string>& sources,
                        const std::map<std::string, int64_t>& epochs,
                        const std::vector<std::string>& fresh, bool recorded) {
  auto& st = self->state;
  if (!still_bound(st, sources, epochs)) {
    // Started again, from the checkpoint then, by a later tick if still wanted.
    done_creating(st, cfg.name);
    return;
  }
  if (!recorded && copies(cfg.task_mode) && !fresh.empty()) {
    self->request(st.cluster_member, defaults::probe_timeout, cluster_copy_atom_v, cfg.name,
                  cfg.incarnation, fresh)
        .then([=](bool) { launch_taken_parts(self, cfg, sources, epochs, fresh, true); },
              [=](caf::error& err) {
                done_creating(self->state, cfg.name);
                note_task_problem(self, cfg.name,
                                  "cannot record its copy in etcd: " + describe(err));
              });
    return;
  }
  st.cluster_task_problems.erase(cfg.name);
  st.cluster_parts_taken[cfg.name] = {sources.begin(), sources.end()};
  DM_INFO("worker {} runs task {} on {} ({} from a checkpoint)", st.worker_name, cfg.name,
          join(sources, ", "), sources.size() - fresh.size());
  auto latest = cfg;
  for (auto& wanted : st.cluster_tasks)
    if (wanted.name == cfg.name && wanted.incarnation == cfg.incarnation) {
      latest.cluster_paused = wanted.cluster_paused;
      latest.cluster_stage_revision = wanted.cluster_stage_revision;
    }
  start_from_now(self, latest, fresh, 0, caf::typed_response_promise<task_status>{});
}

// Starts the parts of `cfg` on `sources` (running here): each from its checkpoint downstream,
// else as start-task would (a fresh copy, or the upstream's position now).
void start_cluster_task(self_ptr self, const task_config& cfg,
                        const std::vector<std::string>& sources) {
  auto& st = self->state;
  st.creating.push_back(cfg.name);
  auto db = st.db;
  auto task = usable(cfg, st.settings.secret_key);
  auto fresh = std::make_shared<std::vector<std::string>>();
  std::map<std::string, int64_t> epochs;
  for (auto& id : sources) epochs[id] = st.sources.at(id).config.cluster_epoch;
  auto probe = spawn_probe(self, [=]() -> caf::error {
    for (auto& id : sources) {
      auto taken = take_over_part(db, task, id, epochs.at(id));
      if (!taken) return taken.error();
      if (!*taken) fresh->push_back(id);
    }
    return caf::none;
  });
  self->request(probe, defaults::probe_timeout, run_atom_v)
      .then([=](bool) { launch_taken_parts(self, cfg, sources, epochs, *fresh, false); },
            [=](caf::error& err) {
              done_creating(self->state, cfg.name);
              note_task_problem(self, cfg.name, describe(err));
            });
}

// The operator paused or resumed parts through etcd since the parts here last followed the
// stage: the parts here follow it now. dmctl also sends the command to the workers at once;
// only a stage newer than the one followed counts, so that a view read before dmctl wrote it
// does not undo what dmctl asked (a view read between two quick commands may still apply the
// first one for a tick, until the next view brings the second).
void follow_stage(self_ptr self, worker_actor_state::task_entry& entry, const task_config& cfg) {
  if (cfg.cluster_stage_revision <= entry.cluster_stage_revision || entry.subtasks.empty())
    return;
  std::set<std::string> wanted{cfg.cluster_paused.begin(), cfg.cluster_paused.end()};
  std::vector<std::string> pause, resume;
  for (auto& [id, part] : entry.subtasks) {
    if (wanted.count(id) && !entry.paused.count(id)) pause.push_back(id);
    if (!wanted.count(id) && entry.paused.count(id)) resume.push_back(id);
  }
  entry.cluster_stage_revision = cfg.cluster_stage_revision;
  if (!pause.empty()) change_paused(self, cfg.name, true, pause, {});
  if (!resume.empty()) change_paused(self, cfg.name, false, resume, {});
}

}  // namespace

void run_cluster_tasks(self_ptr self) {
  auto& st = self->state;
  if (st.settings.join.empty() || st.shutting_down || !lease_proven(st)) return;
  std::set<std::string> wanted;
  for (auto& cfg : st.cluster_tasks) {
    wanted.insert(cfg.name);
    if (is_creating(st, cfg.name)) continue;
    std::vector<std::string> sources;
    for (auto& inst : cfg.mysql_instances)
      if (running_here(st, inst.source_id)) sources.push_back(inst.source_id);
    auto it = st.tasks.find(cfg.name);
    if (it == st.tasks.end()) {
      if (!sources.empty()) start_cluster_task(self, cfg, sources);
      continue;
    }
    auto& entry = it->second;
    if (entry.leaving || entry.updating || entry.parting || !entry.stopping.empty()) continue;
    // A part spawned here has a respawn policy from then on, running or not.
    bool another_start = entry.config.incarnation != cfg.incarnation;
    for (auto& id : sources) another_start = another_start || !entry.respawn.count(id);
    // Started again with every source it has here now, once these parts ended.
    if (another_start) {
      let_task_go(self, cfg.name);
      continue;
    }
    follow_stage(self, entry, cfg);
  }
  // Removed from etcd: dmctl's stop-task, which asks this worker next to remove the task with
  // its records. A task still here a while later missed that request; it stops, its records
  // stay.
  std::vector<std::string> unwanted;
  auto now = now_ms();
  for (auto& [name, entry] : st.tasks) {
    if (wanted.count(name) || entry.leaving || !entry.stopping.empty() || entry.parting) {
      st.cluster_unwanted_since.erase(name);
      continue;
    }
    auto since = st.cluster_unwanted_since.try_emplace(name, now).first->second;
    if (now - since >= cluster_stop_grace_ms) unwanted.push_back(name);
  }
  for (auto& name : unwanted) {
    st.cluster_unwanted_since.erase(name);
    let_task_go(self, name);
  }
}

void on_cluster_task_gone(self_ptr self) {
  auto& st = self->state;
  std::vector<std::string> ready;
  for (auto& [id, promises] : st.releasing) {
    bool used = false;
    for (auto& [name, entry] : st.tasks) used = used || names_source(entry.config, id);
    if (!used) ready.push_back(id);
  }
  for (auto& id : ready) {
    auto promises = std::move(st.releasing[id]);
    st.releasing.erase(id);
    for (auto& rp : promises) end_source(self, id, rp);
  }
}

caf::error refused_in_cluster(const worker_actor_state& st, const std::string& command) {
  if (st.settings.join.empty()) return caf::none;
  return make_error(ec::unsupported,
                    "worker " + st.worker_name + " is in a cluster (join = " + st.settings.join +
                        "): " + command);
}

caf::result<source_status> cluster_bind(self_ptr self, source_config cfg) {
  auto& st = self->state;
  if (st.shutting_down)
    return make_error(ec::invalid_state, "worker " + st.worker_name + " is shutting down");
  st.creation_cancelled.erase(cfg.source_id);
  if (!lease_proven(st))
    return make_error(ec::unavailable, "worker " + st.worker_name +
                                           " cannot prove its etcd lease alive; source " +
                                           cfg.source_id + " does not start");
  auto it = st.sources.find(cfg.source_id);
  if (it != st.sources.end() && !it->second.leaving && it->second.stopping.empty()) {
    source_status status;
    status.source_id = cfg.source_id;
    status.worker = st.worker_name;
    return status;
  }
  // The relay starts where the earliest checkpoint of the source's tasks downstream needs it.
  std::vector<task_config> tasks;
  for (auto& task : st.cluster_tasks)
    if (names_source(task, cfg.source_id)) tasks.push_back(usable(task, st.settings.secret_key));
  auto key = st.settings.secret_key;
  auto worker_name = st.worker_name;
  auto relay_start = [tasks, key, worker_name](source_config& source) -> caf::error {
    if (tasks.empty()) return caf::none;
    auto start = relay_start_for(tasks, usable(source, key));
    if (!start) return start.error();
    if (!*start) return caf::none;
    source.relay_binlog_name = (*start)->file;
    source.relay_binlog_gtid = source.enable_gtid ? (*start)->gtid_set : "";
    DM_INFO("worker {} starts the relay of source {} at {}{} for its tasks' checkpoints",
            worker_name, source.source_id, source.relay_binlog_name,
            source.enable_gtid ? " (GTID set " + source.relay_binlog_gtid + ")" : "");
    return caf::none;
  };
  return create_source(self, std::move(cfg), relay_start);
}

caf::result<source_status> cluster_release(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (is_creating(st, id)) {
    st.creation_cancelled.insert(id);
    return make_error(ec::invalid_state, "source " + id + " is still being created on worker " +
                                             st.worker_name + "; it will not start");
  }
  if (!st.sources.count(id)) return not_on_worker(st, "source", id);
  // Its task parts end first (saving their checkpoints); then the source.
  std::vector<std::string> users;
  for (auto& [name, entry] : st.tasks)
    if (names_source(entry.config, id)) users.push_back(name);
  auto rp = self->make_response_promise<source_status>();
  st.releasing[id].push_back(rp);
  for (auto& name : users) let_task_go(self, name);
  on_cluster_task_gone(self);
  return rp;
}

caf::error cluster_veto(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (st.settings.join.empty()) return caf::none;
  bool cancelled = st.creation_cancelled.erase(id) > 0;
  if (!cancelled && lease_proven(st) && !st.shutting_down) return caf::none;
  // The record written by the check goes with it; the cluster's copy is etcd's.
  auto db = st.db;
  on_store(self, st.store, [=] { return storage::meta_store{db}.erase(source_kind, id); },
           [](caf::error) {});
  return make_error(ec::invalid_state, "source " + id + " was not started on worker " +
                                           st.worker_name + ": the cluster took it away while "
                                           "its upstream was checked");
}

void fence(self_ptr self, const char* why) {
  auto& st = self->state;
  std::vector<std::string> ids;
  for (auto& [id, entry] : st.sources)
    if (!entry.leaving && entry.stopping.empty()) ids.push_back(id);
  for (auto& id : st.creating) st.creation_cancelled.insert(id);
  std::vector<std::string> tasks;
  for (auto& [name, entry] : st.tasks) tasks.push_back(name);
  if (ids.empty() && tasks.empty()) return;
  DM_ERROR("worker {} stops all its task parts and sources: {}", st.worker_name, why);
  for (auto& name : tasks) let_task_go(self, name);
  for (auto& id : ids) stop_source_quietly(self, id);
}

void note_lease_proof(self_ptr self, int64_t until_ms) {
  auto& st = self->state;
  if (until_ms <= st.lease_proven_until_ms) return;
  st.lease_proven_until_ms = until_ms;
  auto wait = std::chrono::milliseconds{std::max<int64_t>(0, until_ms - now_ms())};
  // Checked when this proof runs out: a newer proof by then moved the moment on.
  self->delayed_send(self, wait, cluster_lease_atom_v, int64_t{0});
}

}  // namespace dm::worker_detail
