#include "actors/cluster_member.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "common/error.hpp"
#include "common/log.hpp"
#include "io/cluster_store.hpp"
#include "model/config_json.hpp"
#include "storage/dump_store.hpp"

namespace dm {

namespace {

using clock = std::chrono::steady_clock;

// What a slow etcd call may cost before the lease is counted lost: the proof of a keepalive
// ends this much before the lease's TTL runs out, counted from the keepalive's send time.
constexpr auto proof_margin = std::chrono::seconds{1};
// One etcd call per endpoint waits at most this long.
constexpr auto call_timeout = std::chrono::milliseconds{1000};

struct member_state {
  static inline const char* name = "cluster_member";
  std::optional<etcd_client> etcd;
  std::shared_ptr<storage::database> db;
  // Weak: the worker holds this actor, and a strong handle back (also kept in the spawn's
  // arguments) would keep both alive forever, the process waiting for this thread at exit.
  caf::actor_addr worker;
  std::string worker_name;
  std::string addr;
  std::chrono::seconds ttl{10};
  // The lease, 0 while none is held.
  int64_t lease = 0;
  clock::time_point proven_until;
  clock::time_point next_keepalive;
  // Create revision of this worker's `leader` key while it schedules, else 0.
  int64_t leader_revision = 0;
  // Sources bound under the current lease; those the worker confirmed running; those being
  // handed back.
  std::set<std::string> held;
  // The epoch (create revision) of each binding held.
  std::map<std::string, int64_t> epochs;
  std::set<std::string> running;
  std::set<std::string> asked;
  std::set<std::string> releasing;
  // The last problem logged, so that a lasting one is logged once.
  std::string last_problem;
};

using member_ptr = caf::stateful_actor<member_state>*;

// The worker, or an invalid handle once it is gone.
worker_actor worker_of(const member_state& st) {
  return caf::actor_cast<worker_actor>(st.worker);
}

void problem(member_ptr self, const std::string& text) {
  auto& st = self->state;
  if (text == st.last_problem) return;
  st.last_problem = text;
  DM_WARN("cluster member {}: {}", st.worker_name, text);
}

bool in_time(member_ptr self) {
  auto& st = self->state;
  return st.lease != 0 && clock::now() < st.proven_until;
}

int64_t steady_ms(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void prove(member_ptr self, clock::time_point sent) {
  auto& st = self->state;
  st.proven_until = sent + st.ttl - proof_margin;
  // Four keepalives per TTL: one that fails (an etcd election, a dead member) leaves room for
  // two more tries before the proof runs out.
  st.next_keepalive = sent + st.ttl / 4;
  self->send(worker_of(st), cluster_lease_atom_v, steady_ms(st.proven_until));
}

// The lease is gone or unproven: everything bound under it stops now; a new lease follows.
void drop_lease(member_ptr self, const std::string& why) {
  auto& st = self->state;
  DM_ERROR("cluster member {}: {}; stopping its {} source(s) and joining again with a new lease",
           st.worker_name, why, st.held.size());
  self->send(worker_of(st), cluster_release_atom_v);
  // Best effort: its keys (leader, alive, bindings) go now instead of after the TTL.
  if (st.lease) (void) st.etcd->revoke(st.lease);
  st.lease = 0;
  st.leader_revision = 0;
  st.held.clear();
  st.running.clear();
  st.asked.clear();
  st.releasing.clear();
}

bool start_lease(member_ptr self) {
  auto& st = self->state;
  auto sent = clock::now();
  auto lease = st.etcd->grant(st.ttl.count());
  if (!lease) {
    problem(self, "cannot take a lease from etcd: " + describe(lease.error()));
    return false;
  }
  st.lease = *lease;
  prove(self, sent);
  // Registered fully or not at all: a lease without alive/<name> would never get sources.
  auto registered = st.etcd->put(cluster_keys::worker(st.worker_name), st.addr);
  if (!registered) registered = st.etcd->put(cluster_keys::alive(st.worker_name), "", st.lease);
  if (registered) {
    problem(self, "cannot register: " + describe(registered));
    (void) st.etcd->revoke(st.lease);
    st.lease = 0;
    return false;
  }
  DM_INFO("cluster member {} joined etcd {} with lease {:x} ({} s)", st.worker_name,
          st.etcd->endpoints_text(), st.lease, st.ttl.count());
  st.last_problem.clear();
  return true;
}

// Whether etcd renewed the lease.
bool renew(member_ptr self) {
  auto& st = self->state;
  auto sent = clock::now();
  auto left = st.etcd->keepalive(st.lease);
  // The worker fences itself when the proof runs out: an answer after that cannot undo it.
  if (clock::now() >= st.proven_until) {
    drop_lease(self, "its keepalive was answered too late");
    return false;
  }
  if (!left) {
    problem(self, "cannot renew its lease: " + describe(left.error()));
    return false;
  }
  if (*left <= 0) {
    drop_lease(self, "etcd says its lease expired");
    return false;
  }
  prove(self, sent);
  return true;
}

// Takes `leader` when nobody holds it; learns whether this worker holds it under its lease.
void campaign(member_ptr self, const cluster_view& view) {
  auto& st = self->state;
  if (!view.leader.empty() && view.leader != st.worker_name) {
    st.leader_revision = 0;
    return;
  }
  if (view.leader.empty()) {
    auto won = st.etcd->create(cluster_keys::leader, st.worker_name, st.lease);
    if (!won || !*won) return;
  }
  if (st.leader_revision) return;
  auto key = st.etcd->get(cluster_keys::leader);
  if (!key || !*key) return;
  // A key of an earlier life of this worker ends with its old lease: not a leadership.
  if ((*key)->value == st.worker_name && (*key)->lease == st.lease) {
    st.leader_revision = (*key)->create_revision;
    DM_INFO("cluster member {} schedules the cluster (leader revision {})", st.worker_name,
            st.leader_revision);
  }
}

// The leader's step: every source onto one live worker.
void schedule(member_ptr self, cluster_view& view) {
  auto& st = self->state;
  auto plan = plan_assignments(view);
  for (auto& [source, worker] : plan.assign) {
    if (!in_time(self)) return;
    auto done = st.etcd->put_if_created(cluster_keys::leader, st.leader_revision,
                                        cluster_keys::assign(source), worker);
    if (!done || !*done) {
      st.leader_revision = 0;
      return;
    }
    DM_INFO("cluster member {} assigns source {} to worker {}", st.worker_name, source, worker);
    view.assigned[source] = worker;
  }
  for (auto& source : plan.unassign) {
    if (!in_time(self)) return;
    auto done = st.etcd->erase_if_created(cluster_keys::leader, st.leader_revision,
                                          cluster_keys::assign(source));
    if (!done || !*done) {
      st.leader_revision = 0;
      return;
    }
    view.assigned.erase(source);
  }
}

// Asks the worker to run source `id`, owned under binding `epoch`.
void ask_worker_to_run(member_ptr self, const std::string& id, const std::string& config_text,
                       int64_t epoch) {
  auto& st = self->state;
  auto cfg = source_config_from_json(config_text);
  if (!cfg) return problem(self, "source " + id + " in etcd is unreadable: " +
                                     describe(cfg.error()));
  cfg->cluster_epoch = epoch;
  auto worker = worker_of(st);
  if (!worker) return;
  st.asked.insert(id);
  auto lease = st.lease;
  self->request(worker, caf::infinite, cluster_bind_atom_v, std::move(*cfg))
      .then(
          [=](source_status&) {
            auto& st = self->state;
            // An answer under an older lease means nothing now.
            if (st.lease != lease) return;
            st.asked.erase(id);
            if (st.held.count(id)) st.running.insert(id);
            DM_INFO("cluster member {} runs source {}", st.worker_name, id);
          },
          [=](caf::error& err) {
            if (self->state.lease != lease) return;
            self->state.asked.erase(id);
            problem(self, "source " + id + " is bound here but does not run yet: " +
                              describe(err));
          });
}

// Stops source `id` here; then, if `give_back`, deletes its binding if it still names this
// worker.
void release(member_ptr self, const std::string& id, bool give_back) {
  auto& st = self->state;
  st.releasing.insert(id);
  st.running.erase(id);
  auto lease = st.lease;
  auto done = [=] {
    auto& st = self->state;
    // Under a newer lease this source's state is that lease's business.
    if (st.lease != lease) return;
    st.releasing.erase(id);
    st.held.erase(id);
    if (give_back) {
      // Only the binding made under this lease: never a newer one of this worker.
      auto erased = st.etcd->erase_if_held(cluster_keys::bound(id), st.worker_name, lease);
      if (!erased) problem(self, "cannot hand back source " + id + ": " +
                                     describe(erased.error()));
      else DM_INFO("cluster member {} handed back source {}", st.worker_name, id);
    }
  };
  auto worker = worker_of(st);
  if (!worker) return;
  self->request(worker, caf::infinite, cluster_release_atom_v, id)
      .then([=](source_status&) { done(); },
            [=](caf::error& err) {
              // A source that never ran here is stopped already; anything else (say, still
              // being created) is tried again at the next tick.
              if (code_of(err) == ec::not_found) return done();
              problem(self, "source " + id + " did not stop yet: " + describe(err));
              if (self->state.lease == lease) self->state.releasing.erase(id);
            });
}

void bind(member_ptr self, const cluster_view& view) {
  auto& st = self->state;
  auto assigned_here = [&](const std::string& id) {
    auto it = view.assigned.find(id);
    return view.sources.count(id) && it != view.assigned.end() && it->second == st.worker_name;
  };
  auto bound_here = [&](const std::string& id) {
    auto it = view.bound.find(id);
    auto lease = view.bound_lease.find(id);
    return it != view.bound.end() && it->second == st.worker_name &&
           lease != view.bound_lease.end() && lease->second == st.lease;
  };
  for (auto id : std::set<std::string>{st.held}) {
    if (st.releasing.count(id)) continue;
    if (!bound_here(id)) {
      DM_ERROR("cluster member {} lost the binding of source {}; stopping it", st.worker_name,
               id);
      release(self, id, false);
    } else if (!assigned_here(id)) {
      DM_INFO("cluster member {} hands source {} back", st.worker_name, id);
      release(self, id, true);
    }
  }
  for (auto& [id, config] : view.sources) {
    if (!assigned_here(id) || st.releasing.count(id)) continue;
    if (!st.held.count(id)) {
      if (bound_here(id)) {
        st.held.insert(id);
        st.epochs[id] = view.bound_revision.at(id);
      } else if (!view.bound.count(id)) {
        if (!in_time(self)) return;
        auto won = st.etcd->create(cluster_keys::bound(id), st.worker_name, st.lease);
        if (!won || !*won) continue;
        auto made = st.etcd->get(cluster_keys::bound(id));
        if (!made || !*made || (*made)->lease != st.lease) {
          problem(self, "cannot read back the binding of source " + id);
          continue;
        }
        st.held.insert(id);
        st.epochs[id] = (*made)->create_revision;
        DM_INFO("cluster member {} bound source {}", st.worker_name, id);
        if (auto err = st.etcd->put(cluster_keys::last_bound(id), st.worker_name))
          problem(self, "cannot note the binding of " + id + ": " + describe(err));
      } else {
        continue;  // its previous owner has not let go yet
      }
    }
    if (!st.running.count(id) && !st.asked.count(id) && in_time(self))
      ask_worker_to_run(self, id, config, st.epochs.at(id));
  }
}

// The tasks in etcd, each with its incarnation (task_config::incarnation) and stage.
std::vector<task_config> read_tasks(member_ptr self, const cluster_view& view) {
  std::vector<task_config> tasks;
  for (auto& [name, text] : view.tasks) {
    auto cfg = task_config_from_json(text);
    if (!cfg) {
      problem(self, "task " + name + " in etcd is unreadable: " + describe(cfg.error()));
      continue;
    }
    cfg->incarnation = view.task_revision.at(name);
    if (auto stage = view.task_stage_revision.find(name); stage != view.task_stage_revision.end()) {
      cfg->cluster_paused = view.task_paused.at(name);
      cfg->cluster_stage_revision = stage->second;
    }
    tasks.push_back(std::move(*cfg));
  }
  return tasks;
}

// Removes this worker's loading/ records whose copy reached sync, or whose task is gone
// (step 5 of the header).
void forget_copies(member_ptr self, const cluster_view& view) {
  auto& st = self->state;
  for (auto& [part, worker] : view.loading) {
    auto& [task, source] = part;
    if (worker != st.worker_name || !in_time(self)) continue;
    if (view.tasks.count(task)) {
      storage::dump_store dumps{st.db, task, source};
      auto finished = dumps.load_finished();
      if (!finished) {
        problem(self, "cannot read the copy of task " + task + " on " + source + ": " +
                          describe(finished.error()));
        continue;
      }
      if (!*finished) continue;
    }
    auto erased = st.etcd->erase_if_held(cluster_keys::loading(task, source), worker);
    if (!erased)
      problem(self, "cannot remove the copy record of task " + task + ": " +
                        describe(erased.error()));
  }
}

// Hands the tasks in etcd to the worker.
void send_tasks(member_ptr self, std::vector<task_config> tasks) {
  if (auto worker = worker_of(self->state)) self->send(worker, cluster_tasks_atom_v, std::move(tasks));
}

void tick(member_ptr self) {
  auto& st = self->state;
  if (st.lease && clock::now() >= st.proven_until)
    drop_lease(self, "could not prove its etcd lease alive within keepalive-ttl");
  if (!st.lease) {
    if (!start_lease(self)) return;
  } else if (clock::now() >= st.next_keepalive && !renew(self)) {
    // The next tick tries again rather than spend the lease's proof on reads, which etcd holds
    // while it elects a leader.
    return;
  }
  if (!in_time(self)) return;
  auto view = read_cluster_view(*st.etcd);
  if (!view) return problem(self, "cannot read the cluster: " + describe(view.error()));
  st.last_problem.clear();
  if (!in_time(self)) return;
  campaign(self, *view);
  if (st.leader_revision) schedule(self, *view);
  forget_copies(self, *view);
  // Before any binding of this tick: the worker starts a source's relay where its tasks need it.
  send_tasks(self, read_tasks(self, *view));
  bind(self, *view);
}

caf::behavior member(member_ptr self, caf::actor_addr worker, worker_settings settings,
                     std::shared_ptr<storage::database> db) {
  auto& st = self->state;
  st.db = std::move(db);
  st.worker = std::move(worker);
  st.worker_name = settings.name;
  st.addr = settings.addr;
  st.ttl = std::chrono::seconds{settings.keepalive_ttl};
  auto etcd = etcd_client::make(settings.join, call_timeout,
                                {settings.ssl_ca, settings.ssl_cert, settings.ssl_key},
                                {settings.etcd_user, settings.etcd_password});
  if (!etcd) {
    DM_ERROR("cluster member {}: {}", st.worker_name, describe(etcd.error()));
    self->quit(etcd.error());
    return {};
  }
  st.etcd.emplace(std::move(*etcd));
  // A tick often enough that keepalives (every quarter of the TTL) go out on time.
  auto period = std::max(std::chrono::milliseconds{200},
                         std::min(std::chrono::milliseconds{1000},
                                  std::chrono::duration_cast<std::chrono::milliseconds>(
                                      st.ttl / 6)));
  self->send(self, tick_atom_v);
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    // An orderly end hands every binding back at once instead of after the TTL.
    if (st.lease) {
      if (auto err = st.etcd->revoke(st.lease))
        DM_WARN("cluster member {} could not end its lease (it ends in {} s): {}",
                st.worker_name, st.ttl.count(), describe(err));
    }
    self->quit(msg.reason);
  });
  return {
      [=](tick_atom) {
        tick(self);
        self->delayed_send(self, period, tick_atom_v);
      },
      // The worker starts copying `sources` of `task` here (step 5 of the header).
      // Written only while this start of the task (`incarnation`) exists, so that a part
      // starting as the task stops leaves no record behind.
      [=](cluster_copy_atom, const std::string& task, int64_t incarnation,
          const std::vector<std::string>& sources) -> caf::result<bool> {
        auto& st = self->state;
        for (auto& source : sources) {
          if (!in_time(self))
            return make_error(ec::unavailable, "the etcd lease of worker " + st.worker_name +
                                                   " is not proven alive");
          auto written = st.etcd->put_if_created(cluster_keys::task(task), incarnation,
                                                 cluster_keys::loading(task, source),
                                                 st.worker_name);
          if (!written) return written.error();
          if (!*written)
            return make_error(ec::not_found, "task " + task + " is no longer in the cluster");
        }
        return true;
      },
  };
}

}  // namespace

caf::actor spawn_cluster_member(caf::local_actor* worker, worker_actor handle,
                                const worker_settings& settings,
                                std::shared_ptr<storage::database> db) {
  return worker->spawn<caf::detached + caf::linked>(member, handle.address(), settings,
                                                    std::move(db));
}

}  // namespace dm
