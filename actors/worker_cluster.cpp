// The worker's side of a cluster (worker.toml `join`, actors/cluster_member.hpp): it runs the
// sources the member binds, stops those it gives up, and fences itself when its lease is not
// proven alive. The decisions about etcd are the member's; these only act on this worker.
#include <chrono>

#include <caf/all.hpp>

#include "actors/store.hpp"
#include "actors/worker_internal.hpp"
#include "common/log.hpp"

namespace dm::worker_detail {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool lease_proven(const worker_actor_state& st) { return now_ms() < st.lease_proven_until_ms; }

}  // namespace

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
  return create_source(self, std::move(cfg));
}

caf::result<source_status> cluster_release(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (is_creating(st, id)) {
    st.creation_cancelled.insert(id);
    return make_error(ec::invalid_state, "source " + id + " is still being created on worker " +
                                             st.worker_name + "; it will not start");
  }
  return stop_source(self, id);
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
  if (ids.empty()) return;
  DM_ERROR("worker {} stops all its sources: {}", st.worker_name, why);
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
