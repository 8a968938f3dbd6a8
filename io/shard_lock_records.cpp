#include "io/shard_lock_records.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "io/cluster_store.hpp"

namespace dm {

std::string shard_locks_key(const std::string& task) {
  return cluster_keys::root + "shard-locks/" + task;
}

caf::expected<shard_lock_record> read_shard_locks(etcd_client& etcd, const std::string& task) {
  auto kv = etcd.get(shard_locks_key(task));
  if (!kv) return kv.error();
  shard_lock_record record;
  if (!*kv) return record;
  record.mod_revision = (*kv)->mod_revision;
  try {
    auto j = nlohmann::json::parse((*kv)->value);
    record.book = j.at("book").get<std::string>();
    record.seq = j.at("seq").get<int64_t>();
    for (auto& w : j.at("wakeups"))
      record.wakeups.push_back({w.at("seq").get<int64_t>(), w.at("target").get<std::string>(),
                                w.at("sources").get<std::set<std::string>>()});
  } catch (const std::exception& e) {
    return make_error(ec::storage_failed, "the shard DDL locks of task " + task +
                                              " in etcd are unreadable (" + e.what() +
                                              "); stop the task and start it again");
  }
  return record;
}

caf::expected<bool> write_shard_locks(etcd_client& etcd, const std::string& task,
                                      int64_t task_revision, const shard_lock_record& record) {
  auto wakeups = nlohmann::json::array();
  auto first =
      record.wakeups.size() > shard_wakeups_kept ? record.wakeups.size() - shard_wakeups_kept : 0;
  for (auto i = first; i < record.wakeups.size(); ++i) {
    auto& w = record.wakeups[i];
    wakeups.push_back({{"seq", w.seq}, {"target", w.target}, {"sources", w.sources}});
  }
  nlohmann::json j{{"book", record.book}, {"seq", record.seq}, {"wakeups", wakeups}};
  return etcd.put_if_unchanged(cluster_keys::task(task), task_revision, shard_locks_key(task),
                               record.mod_revision, j.dump());
}

caf::expected<shard_lock_record> update_shard_locks(
    etcd_client& etcd, const std::string& task, shard_lock_book& book,
    const std::function<caf::expected<shard_wakeups>(shard_lock_book&)>& change) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    // Written only while this start of the task exists: a change made as the task stops does
    // not leave a record behind for a later task of the same name.
    auto stored = etcd.get(cluster_keys::task(task));
    if (!stored) return stored.error();
    if (!*stored)
      return make_error(ec::not_found, "task " + task + " is no longer in the cluster");
    auto record = read_shard_locks(etcd, task);
    if (!record) return record.error();
    book.forget(task);
    if (!record->book.empty())
      if (auto err = book.load(task, record->book)) return err;
    auto ready = change(book);
    if (!ready) return ready.error();
    auto next = *record;
    next.book = book.save(task, true);
    for (auto& [target, sources] : *ready) next.wakeups.push_back({++next.seq, target, sources});
    auto written = write_shard_locks(etcd, task, (*stored)->create_revision, next);
    if (!written) return written.error();
    if (*written) return next;
  }
  return make_error(ec::unavailable, "the shard DDL locks of task " + task +
                                         " kept changing in etcd under this change; try again");
}

caf::expected<std::vector<std::string>> shard_lock_tasks(etcd_client& etcd) {
  auto prefix = shard_locks_key("");
  auto kvs = etcd.get_prefix(prefix);
  if (!kvs) return kvs.error();
  std::vector<std::string> out;
  for (auto& kv : *kvs) out.push_back(kv.key.substr(prefix.size()));
  return out;
}

}  // namespace dm
