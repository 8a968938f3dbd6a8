#include "app/dmctl/cluster_commands.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "common/error.hpp"
#include "io/cluster_store.hpp"
#include "io/shard_lock_records.hpp"
#include "model/config_json.hpp"

namespace dm::dmctl {

namespace {

using json = nlohmann::json;
using clock = std::chrono::steady_clock;

// How long create, stop and transfer wait for the workers to act on etcd's records: longer
// than a tick plus an upstream connection check.
constexpr auto settle_time = std::chrono::seconds{30};

// Waits until `done(view)` holds or settle_time passes; the last view read.
template <class Done>
caf::expected<cluster_view> wait_for(etcd_client& etcd, Done done) {
  auto deadline = clock::now() + settle_time;
  while (true) {
    auto view = read_cluster_view(etcd);
    if (!view) return view.error();
    if (done(*view) || clock::now() >= deadline) return view;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
}

std::string value_or_empty(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string{} : it->second;
}

// Source ids are [A-Za-z0-9_.-]: they are parts of etcd keys.
caf::error check_id(const std::string& kind, const std::string& id) {
  bool ok = !id.empty();
  for (char c : id)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  if (ok) return caf::none;
  return make_error(ec::invalid_argument, kind + " '" + id +
                                              "' may hold only letters, digits, '_', '.' and '-' "
                                              "in a cluster");
}

// The name `target` (a task name or config file) stands for, and the task's record in etcd; an
// error when the name is not a valid id or the cluster has no such task.
caf::expected<std::pair<std::string, etcd_kv>> stored_task(etcd_client& etcd,
                                                           const std::string& target) {
  auto name = task_name(target);
  if (!name) return name.error();
  if (auto err = check_id("task name", *name)) return err;
  auto stored = etcd.get(cluster_keys::task(*name));
  if (!stored) return stored.error();
  if (!*stored)
    return make_error(ec::not_found, "task " + *name + " does not exist in the cluster at " +
                                         etcd.endpoints_text());
  return std::make_pair(*name, **stored);
}

}  // namespace

caf::expected<std::optional<etcd_client>> connect_cluster(const std::string& addrs,
                                                          const etcd_tls& tls,
                                                          const etcd_login& login) {
  auto etcd = etcd_client::make(addrs, std::chrono::milliseconds{1000}, tls, login);
  if (!etcd) {
    // Worker addresses are HOST:PORT too; only a TLS endpoint without its CA is a mistake here.
    if (addrs.find("https://") != std::string::npos) return etcd.error();
    return std::optional<etcd_client>{};
  }
  // etcd answers GET /version over HTTP; a worker's admin endpoint does not.
  if (!etcd->version()) {
    if (addrs.find("https://") != std::string::npos)
      return make_error(ec::unavailable, "no etcd endpoint of " + addrs +
                                             " answered over TLS; check the endpoints and "
                                             "--ssl-ca/--ssl-cert/--ssl-key");
    return std::optional<etcd_client>{};
  }
  return std::optional<etcd_client>{std::move(*etcd)};
}

caf::expected<std::string> live_worker_addrs(etcd_client& etcd) {
  auto view = read_cluster_view(etcd);
  if (!view) return view.error();
  std::string out;
  for (auto& [name, addr] : view->workers)
    if (view->alive.count(name)) out += (out.empty() ? "" : ",") + addr;
  if (out.empty())
    return make_error(ec::unavailable, "no worker of the cluster at " + etcd.endpoints_text() +
                                           " is alive; start dm-worker with join naming it");
  return out;
}

caf::expected<reply> cluster_create_source(etcd_client& etcd, const std::string& file) {
  if (file.empty())
    return make_error(ec::invalid_argument, "operate-source create needs a source config file");
  auto cfg = read_source(file);
  if (!cfg) return cfg.error();
  if (auto err = check_id("source-id", cfg->source_id)) return err;
  auto created = etcd.create(cluster_keys::source(cfg->source_id), to_json(*cfg));
  if (!created) return created.error();
  if (!*created)
    return make_error(ec::already_exists, "source " + cfg->source_id +
                                              " already exists in the cluster; stop it first to "
                                              "change it");
  auto id = cfg->source_id;
  auto view = wait_for(etcd, [&](const cluster_view& v) { return v.bound.count(id) > 0; });
  if (!view) return view.error();
  auto owner = value_or_empty(view->bound, id);
  json j = {{"result", true}, {"source", id}, {"worker", owner}};
  return reply{j, owner.empty() ? "created source " + id +
                                      "; no worker has bound it yet (list-member shows when one "
                                      "does)\n"
                                : "created source " + id + ", bound to worker " + owner +
                                      " (operate-source show says whether its relay runs)\n"};
}

caf::expected<reply> cluster_stop_source(etcd_client& etcd, const std::string& target) {
  auto id = target;
  if (!id.empty() && std::filesystem::is_regular_file(id)) {
    auto cfg = read_source(id);
    if (!cfg) return cfg.error();
    id = cfg->source_id;
  }
  if (id.empty())
    return make_error(ec::invalid_argument, "operate-source stop needs a source id or config file");
  if (auto err = check_id("source", id)) return err;
  auto stored = etcd.get(cluster_keys::source(id));
  if (!stored) return stored.error();
  if (!*stored)
    return make_error(ec::not_found, "source " + id + " does not exist in the cluster at " +
                                         etcd.endpoints_text());
  if (auto err = etcd.erase(cluster_keys::source(id))) return err;
  auto view = wait_for(etcd, [&](const cluster_view& v) { return !v.bound.count(id); });
  if (!view) return view.error();
  auto owner = value_or_empty(view->bound, id);
  if (!owner.empty())
    return make_error(ec::unavailable, "source " + id + " is removed from the cluster, but worker " +
                                           owner + " still holds it after " +
                                           std::to_string(settle_time.count()) +
                                           " s; its log says why");
  return reply{{{"result", true}, {"source", id}}, "stopped and removed source " + id + "\n"};
}

caf::expected<reply> cluster_start_task(etcd_client& etcd, const std::string& file) {
  auto cfg = read_task(file);
  if (!cfg) return cfg.error();
  if (auto err = check_id("task name", cfg->name)) return err;
  // It keeps state in one worker's RocksDB that would not follow a source to another worker.
  if (cfg->online_ddl.enabled)
    return make_error(ec::unsupported, "task " + cfg->name + ": online-ddl keeps the shadow "
                                       "tables' migrations in one worker, which a cluster does "
                                       "not support yet");
  auto view = read_cluster_view(etcd);
  if (!view) return view.error();
  for (auto& inst : cfg->mysql_instances)
    if (!view->sources.count(inst.source_id))
      return make_error(ec::not_found, "task " + cfg->name + " names source " + inst.source_id +
                                           ", which does not exist in the cluster; create it "
                                           "with operate-source create");
  auto created = etcd.create(cluster_keys::task(cfg->name), to_json(*cfg));
  if (!created) return created.error();
  if (!*created)
    return make_error(ec::already_exists,
                      "task " + cfg->name + " already exists in the cluster; stop it first");
  json sources = json::array();
  std::string text = "task " + cfg->name + " stored in the cluster; its parts run on";
  for (auto& inst : cfg->mysql_instances) {
    auto owner = value_or_empty(view->bound, inst.source_id);
    sources.push_back({{"source", inst.source_id}, {"worker", owner}});
    text += " " + inst.source_id + " (" + (owner.empty() ? "no worker yet" : owner) + ")";
  }
  return reply{{{"result", true}, {"task", cfg->name}, {"sources", sources}},
               text + "; query-status shows them\n"};
}

caf::expected<reply> wait_task_parts(workers& ws, const reply& stored) {
  auto name = stored.json["task"].get<std::string>();
  std::set<std::string> awaited;
  for (auto& s : stored.json["sources"])
    if (!s["worker"].get<std::string>().empty()) awaited.insert(s["source"].get<std::string>());
  auto deadline = clock::now() + settle_time;
  std::set<std::string> running;
  bool all = false;
  while (true) {
    running.clear();
    auto status = query_status(ws, name, {});
    if (status)
      for (auto& task : status->json["tasks"])
        for (auto& part : task["sources"]) running.insert(part["source_id"].get<std::string>());
    all = std::includes(running.begin(), running.end(), awaited.begin(), awaited.end());
    if (all || clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
  }
  auto out = stored;
  // Stored, but not known to run everywhere it should: the caller must not count on changes
  // from now on being replicated.
  if (!all) out.exit_code = 1;
  std::string text = "task " + name + " stored in the cluster;";
  for (auto& s : out.json["sources"]) {
    auto id = s["source"].get<std::string>();
    auto worker = s["worker"].get<std::string>();
    s["running"] = running.count(id) > 0;
    text += " " + id + (running.count(id) ? " runs on " + worker
                        : worker.empty()  ? " waits for a worker"
                                          : " not yet running on " + worker);
    text += ";";
  }
  out.text = text + (all ? " query-status shows the parts\n"
                         : " a part not running yet starts from where its upstream is then; "
                           "query-status shows the parts\n");
  return out;
}

caf::error cluster_forget_task(etcd_client& etcd, const std::string& target,
                               const std::vector<std::string>& sources) {
  auto stored = stored_task(etcd, target);
  if (!stored) return stored.error();
  const auto& [name, record] = *stored;
  auto key = cluster_keys::task(name);
  // The records of its copies in progress go with the parts (each after the task's record, so
  // that no worker writes one again for a part it still runs).
  auto forget_copies = [&](const std::vector<std::string>& of) -> caf::error {
    auto records = etcd.get_prefix(cluster_keys::loading(name, ""));
    if (!records) return records.error();
    for (auto& kv : *records) {
      auto source = kv.key.substr(cluster_keys::loading(name, "").size());
      if (of.empty() || std::find(of.begin(), of.end(), source) != of.end())
        if (auto err = etcd.erase(kv.key)) return err;
    }
    return caf::none;
  };
  if (sources.empty()) {
    // The task first, so that no worker reads a stage without its task.
    if (auto err = etcd.erase(key)) return err;
    if (auto err = forget_copies({})) return err;
    if (auto err = etcd.erase(shard_locks_key(name))) return err;
    return etcd.erase(cluster_keys::stage(name));
  }
  auto cfg = task_config_from_json(record.value);
  if (!cfg) return cfg.error();
  auto& instances = cfg->mysql_instances;
  instances.erase(std::remove_if(instances.begin(), instances.end(),
                                 [&](const mysql_instance& inst) {
                                   return std::find(sources.begin(), sources.end(),
                                                    inst.source_id) != sources.end();
                                 }),
                  instances.end());
  auto err = instances.empty() ? etcd.erase(key) : etcd.put(key, to_json(*cfg));
  if (err) return err;
  if (auto err = forget_copies(sources)) return err;
  // Shard DDL locks no longer await the shard tables of the sources removed.
  if (cfg->shard_mode != "pessimistic") return caf::none;
  shard_lock_book book;
  auto updated = update_shard_locks(etcd, name, book, [&](shard_lock_book& b) {
    shard_wakeups ready;
    for (auto& source : sources)
      for (auto& [target, woken] : b.forget_source(name, source))
        ready[target].insert(woken.begin(), woken.end());
    return caf::expected<shard_wakeups>{ready};
  });
  return updated ? caf::none : updated.error();
}

caf::error cluster_set_stage(etcd_client& etcd, const std::string& target, bool paused,
                             const std::vector<std::string>& sources) {
  auto stored = stored_task(etcd, target);
  if (!stored) return stored.error();
  const auto& [task, record] = *stored;
  auto cfg = task_config_from_json(record.value);
  if (!cfg) return cfg.error();
  std::set<std::string> all;
  for (auto& inst : cfg->mysql_instances) all.insert(inst.source_id);
  for (auto& id : sources)
    if (!all.count(id))
      return make_error(ec::not_found, "task " + task + " has no source " + id);
  auto run = record.create_revision;
  auto key = cluster_keys::stage(task);
  // A read-modify-write of the stage, again when another dmctl wrote it meanwhile.
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto current = etcd.get(key);
    if (!current) return current.error();
    std::set<std::string> now;
    if (*current)
      if (auto paused = task_stage_paused((*current)->value, run))
        now.insert(paused->begin(), paused->end());
    for (auto& id : sources.empty() ? std::vector<std::string>{all.begin(), all.end()} : sources)
      if (paused) now.insert(id);
      else now.erase(id);
    auto written = etcd.put_if_unchanged(
        cluster_keys::task(task), run, key, *current ? (*current)->mod_revision : 0,
        task_stage_value(run, std::vector<std::string>{now.begin(), now.end()}));
    if (!written) return written.error();
    if (*written) return caf::none;
    auto still = etcd.get(cluster_keys::task(task));
    if (!still) return still.error();
    if (!*still || (*still)->create_revision != run)
      return make_error(ec::not_found, "task " + task + " was stopped meanwhile");
  }
  return make_error(ec::unavailable, "the stage of task " + task +
                                         " kept changing under other dmctl commands; try again");
}

caf::expected<reply> cluster_list_member(etcd_client& etcd) {
  auto view = read_cluster_view(etcd);
  if (!view) return view.error();
  json members = json::array();
  std::string text = "leader: " + (view->leader.empty() ? "(none)" : view->leader) + "\n";
  for (auto& [name, addr] : view->workers) {
    json sources = json::array();
    std::string list;
    for (auto& [source, owner] : view->bound)
      if (owner == name) {
        sources.push_back(source);
        list += (list.empty() ? "" : ", ") + source;
      }
    auto state = view->alive.count(name) ? "online" : "offline";
    members.push_back({{"name", name}, {"addr", addr}, {"state", state}, {"sources", sources}});
    text += "worker " + name + " (" + addr + ") " + state + ": " +
            (list.empty() ? "no sources" : list) + "\n";
  }
  json unbound = json::array();
  for (auto& [source, config] : view->sources)
    if (!view->bound.count(source)) {
      unbound.push_back(source);
      text += "source " + source + " is bound to no worker\n";
    }
  return reply{{{"result", true},
                {"leader", view->leader},
                {"members", members},
                {"unbound", unbound}},
               text};
}

caf::expected<reply> cluster_transfer_source(etcd_client& etcd, const std::string& source,
                                             const std::string& worker) {
  if (auto err = check_id("source", source)) return err;
  auto view = read_cluster_view(etcd);
  if (!view) return view.error();
  if (!view->sources.count(source))
    return make_error(ec::not_found, "source " + source + " does not exist in the cluster");
  if (!view->alive.count(worker))
    return make_error(ec::invalid_argument, "worker " + worker + " is not an online member of "
                                            "the cluster (see list-member)");
  if (value_or_empty(view->bound, source) == worker)
    return reply{{{"result", true}, {"source", source}, {"worker", worker}},
                 "source " + source + " is on worker " + worker + " already\n"};
  if (auto loading = loading_worker(*view, source); !loading.empty() && loading != worker)
    return make_error(ec::invalid_state,
                      "source " + source + " has a full migration loading on worker " + loading +
                          ", which alone has its dump files (the scheduler keeps the source "
                          "there); transfer it once query-status shows the task in Sync, or "
                          "stop the task");
  if (auto err = etcd.put(cluster_keys::assign(source), worker)) return err;
  auto after = wait_for(etcd, [&](const cluster_view& v) {
    return value_or_empty(v.bound, source) == worker;
  });
  if (!after) return after.error();
  if (value_or_empty(after->bound, source) != worker)
    return make_error(ec::unavailable, "source " + source + " is assigned to worker " + worker +
                                           " but not bound there after " +
                                           std::to_string(settle_time.count()) +
                                           " s; list-member and the workers' logs say why");
  return reply{{{"result", true}, {"source", source}, {"worker", worker}},
               "moved source " + source + " to worker " + worker + "\n"};
}

caf::expected<reply> cluster_offline_member(etcd_client& etcd, const std::string& worker) {
  auto view = read_cluster_view(etcd);
  if (!view) return view.error();
  if (!view->workers.count(worker))
    return make_error(ec::not_found, "worker " + worker + " is not a member of the cluster");
  if (view->alive.count(worker))
    return make_error(ec::invalid_state, "worker " + worker +
                                             " is online; stop it first (offline-member forgets "
                                             "only workers that are down)");
  if (auto err = etcd.erase(cluster_keys::worker(worker))) return err;
  for (auto& [source, last] : view->last_bound)
    if (last == worker) {
      auto erased = etcd.erase_if_held(cluster_keys::last_bound(source), worker);
      if (!erased) return erased.error();
    }
  // Its copies in progress no longer keep their sources waiting for it (the parts stay refused
  // elsewhere: what it loaded is downstream; a new start of the task copies afresh).
  for (auto& [part, loading] : view->loading)
    if (loading == worker) {
      auto erased = etcd.erase_if_held(cluster_keys::loading(part.first, part.second), worker);
      if (!erased) return erased.error();
    }
  return reply{{{"result", true}, {"worker", worker}}, "removed worker " + worker + "\n"};
}

}  // namespace dm::dmctl
