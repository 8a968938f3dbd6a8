#include "io/cluster_store.hpp"

#include <map>

#include <nlohmann/json.hpp>

namespace dm {

namespace {

// Reads `prefix`* into `out`, keyed by the rest of each key.
caf::error read_map(etcd_client& etcd, const std::string& prefix,
                    std::map<std::string, std::string>& out) {
  auto kvs = etcd.get_prefix(prefix);
  if (!kvs) return kvs.error();
  for (auto& kv : *kvs) out[kv.key.substr(prefix.size())] = kv.value;
  return caf::none;
}

}  // namespace

caf::expected<cluster_view> read_cluster_view(etcd_client& etcd) {
  cluster_view view;
  const auto& root = cluster_keys::root;
  std::map<std::string, std::string> alive;
  for (auto& [prefix, map] :
       std::initializer_list<std::pair<std::string, std::map<std::string, std::string>*>>{
           {root + "workers/", &view.workers},
           {root + "alive/", &alive},
           {root + "sources/", &view.sources},
           {root + "assign/", &view.assigned},
           {root + "last-bound/", &view.last_bound}})
    if (auto err = read_map(etcd, prefix, *map)) return err;
  for (auto& [w, unused] : alive) view.alive.insert(w);
  auto bound = etcd.get_prefix(root + "bound/");
  if (!bound) return bound.error();
  view.bound.clear();
  for (auto& kv : *bound) {
    auto id = kv.key.substr(root.size() + 6);
    view.bound[id] = kv.value;
    view.bound_lease[id] = kv.lease;
    view.bound_revision[id] = kv.create_revision;
  }
  auto tasks = etcd.get_prefix(root + "tasks/");
  if (!tasks) return tasks.error();
  for (auto& kv : *tasks) {
    auto name = kv.key.substr(root.size() + 6);
    view.tasks[name] = kv.value;
    view.task_revision[name] = kv.create_revision;
  }
  auto stages = etcd.get_prefix(root + "stages/");
  if (!stages) return stages.error();
  for (auto& kv : *stages) {
    auto name = kv.key.substr(root.size() + 7);
    auto run = view.task_revision.find(name);
    if (run == view.task_revision.end()) continue;
    auto paused = task_stage_paused(kv.value, run->second);
    if (!paused) continue;
    view.task_paused[name] = std::move(*paused);
    view.task_stage_revision[name] = kv.mod_revision;
  }
  auto loading = etcd.get_prefix(root + "loading/");
  if (!loading) return loading.error();
  for (auto& kv : *loading) {
    auto rest = kv.key.substr(root.size() + 8);
    auto slash = rest.find('/');
    if (slash != std::string::npos)
      view.loading[{rest.substr(0, slash), rest.substr(slash + 1)}] = kv.value;
  }
  auto leader = etcd.get(cluster_keys::leader);
  if (!leader) return leader.error();
  if (*leader) view.leader = (*leader)->value;
  return view;
}

std::string task_stage_value(int64_t run, const std::vector<std::string>& paused) {
  return nlohmann::json{{"run", run}, {"paused", paused}}.dump();
}

std::optional<std::vector<std::string>> task_stage_paused(const std::string& value, int64_t run) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("run") || !j["run"].is_number_integer() ||
      j["run"].get<int64_t>() != run || !j.contains("paused") || !j["paused"].is_array())
    return std::nullopt;
  std::vector<std::string> paused;
  for (auto& id : j["paused"])
    if (id.is_string()) paused.push_back(id.get<std::string>());
  return paused;
}

}  // namespace dm
