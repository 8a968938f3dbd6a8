#include "io/operator_decision.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace dm {

namespace {

constexpr const char* kind = "handle_error";

std::string id_of(const std::string& task, const std::string& source) {
  return task + '\0' + source;
}

}  // namespace

caf::expected<std::optional<operator_decision>> load_decision(storage::meta_store& meta,
                                                              const std::string& task,
                                                              const std::string& source) {
  auto raw = meta.get(kind, id_of(task, source));
  if (!raw) return raw.error();
  if (!*raw) return std::optional<operator_decision>{};
  auto corrupt = make_error(ec::storage_failed, "the handle-error decision of task " + task +
                                                    " on source " + source + " is corrupt");
  auto j = nlohmann::json::parse(**raw, nullptr, false);
  if (j.is_discarded() || !j.contains("key") || !j["key"].is_array() || j["key"].size() != 3)
    return corrupt;
  operator_decision d;
  for (auto& part : j["key"])
    if (!part.is_number_unsigned()) return corrupt;
  d.key = {j["key"][0].get<uint32_t>(), j["key"][1].get<uint32_t>(), j["key"][2].get<uint32_t>()};
  auto action = j.contains("action") && j["action"].is_string()
                    ? error_action_from(j["action"].get<std::string>())
                    : std::nullopt;
  if (!action) return corrupt;
  d.action = *action;
  if (j.contains("sql") && j["sql"].is_string()) d.sql = j["sql"].get<std::string>();
  if (j.contains("at")) {
    if (!j["at"].is_string()) return corrupt;
    auto at = parse_binlog_position(j["at"].get<std::string>());
    if (!at) return corrupt;
    d.at = std::move(*at);
  }
  return std::optional<operator_decision>{std::move(d)};
}

caf::error save_decision(storage::meta_store& meta, const std::string& task,
                         const std::string& source, const operator_decision& d) {
  nlohmann::json j{{"key", {d.key.segment, d.key.file_index, d.key.offset}},
                   {"action", to_string(d.action)},
                   {"sql", d.sql}};
  if (!d.at.empty()) j["at"] = to_string(d.at);
  return meta.put(kind, id_of(task, source), j.dump());
}

caf::error clear_decision(storage::meta_store& meta, const std::string& task,
                          const std::string& source) {
  return meta.erase(kind, id_of(task, source));
}

caf::error clear_decisions(storage::meta_store& meta, const std::string& task) {
  return meta.erase_prefix(kind, task + '\0');
}

}  // namespace dm
