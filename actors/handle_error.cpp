#include "actors/handle_error.hpp"

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"
#include "protocol/sql/lexer.hpp"

namespace dm {

namespace {

constexpr const char* kind = "handle_error";

std::string id_of(const std::string& task, const std::string& source) {
  return task + '\0' + source;
}

}  // namespace

caf::expected<std::optional<error_decision>> load_decision(storage::meta_store& meta,
                                                           const std::string& task,
                                                           const std::string& source) {
  auto raw = meta.get(kind, id_of(task, source));
  if (!raw) return raw.error();
  if (!*raw) return std::optional<error_decision>{};
  auto j = nlohmann::json::parse(**raw, nullptr, false);
  if (j.is_discarded() || !j.contains("key") || !j["key"].is_array() || j["key"].size() != 3)
    return make_error(ec::storage_failed, "the handle-error decision of task " + task +
                                              " on source " + source + " is corrupt");
  error_decision d;
  d.key = {j["key"][0].get<uint32_t>(), j["key"][1].get<uint32_t>(), j["key"][2].get<uint32_t>()};
  d.action = j.value("action", "");
  d.sql = j.value("sql", "");
  return std::optional<error_decision>{std::move(d)};
}

caf::error save_decision(storage::meta_store& meta, const std::string& task,
                         const std::string& source, const error_decision& d) {
  nlohmann::json j{{"key", {d.key.segment, d.key.file_index, d.key.offset}},
                   {"action", d.action},
                   {"sql", d.sql}};
  return meta.put(kind, id_of(task, source), j.dump());
}

caf::error clear_decision(storage::meta_store& meta, const std::string& task,
                          const std::string& source) {
  return meta.erase(kind, id_of(task, source));
}

std::vector<std::string> split_statements(const std::string& sql) {
  std::vector<std::string> out;
  size_t start = 0;
  auto push = [&](size_t end) {
    auto part = sql.substr(start, end - start);
    if (part.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(part);
  };
  for (auto& t : sql::tokenize(sql))
    if (t.is(';')) {
      push(t.begin);
      start = t.end;
    }
  push(sql.size());
  return out;
}

}  // namespace dm
