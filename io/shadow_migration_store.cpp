#include "io/shadow_migration_store.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace dm {

namespace {

constexpr const char* kind = "online_ddl";

// "<task> NUL <source> NUL <db> NUL <shadow>": a task's records share the prefix "<task> NUL".
std::string id_of(const std::string& task, const std::string& source, const std::string& key) {
  return task + '\0' + source + '\0' + key;
}

nlohmann::json optional_json(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<std::string> optional_string(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  return j[key].get<std::string>();
}

nlohmann::json session_json(const event_session& s) {
  return {{"character_set_client", optional_json(s.character_set_client)},
          {"collation_connection", optional_json(s.collation_connection)},
          {"collation_server", optional_json(s.collation_server)},
          {"sql_mode", s.sql_mode ? nlohmann::json(*s.sql_mode) : nlohmann::json(nullptr)},
          {"time_zone", optional_json(s.time_zone)},
          {"timestamp", s.timestamp}};
}

event_session session_from(const nlohmann::json& j) {
  event_session s;
  s.character_set_client = optional_string(j, "character_set_client");
  s.collation_connection = optional_string(j, "collation_connection");
  s.collation_server = optional_string(j, "collation_server");
  if (j.contains("sql_mode") && j["sql_mode"].is_array())
    s.sql_mode = j["sql_mode"].get<std::vector<std::string>>();
  s.time_zone = optional_string(j, "time_zone");
  s.timestamp = j.value("timestamp", "");
  return s;
}

std::string to_json(const shadow_migration& m) {
  nlohmann::json alters = nlohmann::json::array();
  for (auto& a : m.alters)
    alters.push_back({{"at", {a.at.segment, a.at.file_index, a.at.offset}},
                      {"statement", a.statement},
                      {"default_db", a.default_db},
                      {"ansi_quotes", a.mode.ansi_quotes},
                      {"no_backslash_escapes", a.mode.no_backslash_escapes},
                      {"session", session_json(a.session)}});
  return nlohmann::json{{"db", m.db},
                        {"shadow", m.shadow},
                        {"real", m.real},
                        {"complete", m.complete},
                        {"applied", m.applied},
                        {"real_dropped", m.real_dropped},
                        {"alters", alters}}
      .dump();
}

std::optional<shadow_migration> from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    shadow_migration m;
    m.db = j.at("db").get<std::string>();
    m.shadow = j.at("shadow").get<std::string>();
    m.real = j.at("real").get<std::string>();
    m.complete = j.at("complete").get<bool>();
    m.applied = j.value("applied", size_t{0});
    m.real_dropped = j.value("real_dropped", false);
    for (auto& a : j.at("alters")) {
      recorded_alter r;
      auto at = a.at("at").get<std::vector<uint32_t>>();
      if (at.size() != 3) return std::nullopt;
      r.at = {at[0], at[1], at[2]};
      r.statement = a.at("statement").get<std::string>();
      r.default_db = a.at("default_db").get<std::string>();
      r.mode.ansi_quotes = a.at("ansi_quotes").get<bool>();
      r.mode.no_backslash_escapes = a.at("no_backslash_escapes").get<bool>();
      r.session = session_from(a.at("session"));
      m.alters.push_back(std::move(r));
    }
    return m;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

caf::expected<shadow_migrations> load_shadow_migrations(storage::meta_store& meta,
                                                        const std::string& task,
                                                        const std::string& source) {
  auto all = meta.list(kind);
  if (!all) return all.error();
  auto prefix = id_of(task, source, "");
  shadow_migrations out;
  for (auto& [id, value] : *all) {
    if (id.compare(0, prefix.size(), prefix) != 0) continue;
    auto m = from_json(value);
    if (!m)
      return make_error(ec::storage_failed,
                        "the record of an online schema change of task " + task + " on source " +
                            source + " is corrupt; stop the task and start it with --remove-meta");
    out[shadow_key(m->db, m->shadow)] = std::move(*m);
  }
  return out;
}

caf::error save_shadow_migration(storage::meta_store& meta, const std::string& task,
                                 const std::string& source, const shadow_migration& migration) {
  return meta.put(kind, id_of(task, source, shadow_key(migration.db, migration.shadow)),
                  to_json(migration));
}

caf::error erase_shadow_migration(storage::meta_store& meta, const std::string& task,
                                  const std::string& source, const std::string& key) {
  return meta.erase(kind, id_of(task, source, key));
}

caf::error erase_task_shadow_migrations(storage::meta_store& meta, const std::string& task,
                                        const std::string& source) {
  return meta.erase_prefix(kind, source.empty() ? task + '\0' : id_of(task, source, ""));
}

}  // namespace dm
