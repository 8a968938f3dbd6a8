#include "storage/checkpoint_store.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "storage/database.hpp"

namespace dm::storage {

namespace {

constexpr std::string_view sync_unit = "sync";

nlohmann::json key_json(const relay_key& k) { return {k.segment, k.file_index, k.offset}; }

bool key_from_json(const nlohmann::json& j, relay_key& k) {
  if (!j.is_array() || j.size() != 3) return false;
  for (auto& v : j)
    if (!v.is_number_unsigned()) return false;
  k = relay_key{j[0].get<uint32_t>(), j[1].get<uint32_t>(), j[2].get<uint32_t>()};
  return true;
}

}  // namespace

caf::expected<std::optional<sync_checkpoint>> checkpoint_store::load_sync(
    std::string_view task, std::string_view source) const {
  auto raw = db_->get(family::checkpoint, checkpoint_key(task, source, sync_unit));
  if (!raw) return raw.error();
  if (!*raw) return std::optional<sync_checkpoint>{};
  auto j = nlohmann::json::parse(**raw, nullptr, false);
  sync_checkpoint cp;
  if (j.is_discarded() || !j.is_object() || !j.contains("next") ||
      !key_from_json(j["next"], cp.next) || !j.contains("safe_until") ||
      !key_from_json(j["safe_until"], cp.safe_until))
    return make_error(ec::storage_failed, "sync checkpoint of task " + std::string{task} +
                                              " on source " + std::string{source} +
                                              " is corrupt");
  cp.position.file = j.value("file", "");
  cp.position.pos = j.value("pos", 0u);
  cp.gtid_set = j.value("gtid_set", "");
  cp.clean_stop = j.value("clean_stop", false);
  cp.run = j.value("run", uint64_t{0});
  return std::optional<sync_checkpoint>{std::move(cp)};
}

caf::error checkpoint_store::save_sync(std::string_view task, std::string_view source,
                                       const sync_checkpoint& cp, bool sync) {
  nlohmann::json j{{"next", key_json(cp.next)},       {"file", cp.position.file},
                   {"pos", cp.position.pos},          {"gtid_set", cp.gtid_set},
                   {"safe_until", key_json(cp.safe_until)}, {"clean_stop", cp.clean_stop},
                   {"run", cp.run}};
  return db_->put(family::checkpoint, checkpoint_key(task, source, sync_unit), j.dump(), sync);
}

caf::expected<std::vector<std::pair<std::string, sync_checkpoint>>>
checkpoint_store::list_for_source(std::string_view source) const {
  std::vector<std::string> tasks;
  auto err = db_->scan(family::checkpoint, "", "", [&](std::string_view key, std::string_view) {
    // task NUL source NUL unit
    auto first = key.find('\0');
    if (first == std::string_view::npos) return true;
    auto second = key.find('\0', first + 1);
    if (second == std::string_view::npos) return true;
    if (key.substr(first + 1, second - first - 1) == source &&
        key.substr(second + 1) == sync_unit)
      tasks.emplace_back(key.substr(0, first));
    return true;
  });
  if (err) return err;
  std::vector<std::pair<std::string, sync_checkpoint>> out;
  for (auto& task : tasks) {
    auto cp = load_sync(task, source);
    if (!cp) return cp.error();
    if (*cp) out.emplace_back(task, **cp);
  }
  return out;
}

caf::error checkpoint_store::erase_task(std::string_view task) {
  auto batch = db_->new_batch();
  batch.erase_range(family::checkpoint, checkpoint_task_begin(task), checkpoint_task_end(task));
  return db_->write(batch, true);
}

caf::error checkpoint_store::erase_part(std::string_view task, std::string_view source) {
  auto batch = db_->new_batch();
  batch.erase_range(family::checkpoint, checkpoint_part_begin(task, source),
                    checkpoint_part_end(task, source));
  return db_->write(batch, true);
}

}  // namespace dm::storage
