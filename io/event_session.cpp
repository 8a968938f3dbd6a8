#include "io/event_session.hpp"

#include <mysqld_error.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/schema_loader.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

// Names both flavors know, which a downstream of either kind takes.
bool portable_mode(const std::string& name) {
  for (auto* unportable : {"IGNORE_BAD_TABLE_OPTIONS", "EMPTY_STRING_IS_NULL",
                           "SIMULTANEOUS_ASSIGNMENT", "TIME_ROUND_FRACTIONAL",
                           "TIME_TRUNCATE_FRACTIONAL", "NO_AUTO_CREATE_USER", "POSTGRESQL",
                           "ORACLE", "MSSQL", "DB2", "MAXDB", "NO_KEY_OPTIONS",
                           "NO_TABLE_OPTIONS", "NO_FIELD_OPTIONS", "MYSQL323", "MYSQL40"})
    if (name == unportable) return false;
  return true;
}

std::string quoted(const std::string& text) {
  std::string out;
  sql::append_escaped(out, text);
  return out;
}

std::string mode_statement(const std::vector<std::string>& names) {
  std::string list;
  for (auto& n : names) list += (list.empty() ? "" : ",") + n;
  return "SET SESSION sql_mode = " + quoted(list);
}

// "utf8mb3_general_ci" -> "utf8_general_ci" (MySQL before 8.0.30 and MariaDB before 10.6 spell
// utf8mb3 so); empty when `name` is not spelled utf8mb3.
std::string legacy_utf8_spelling(const std::string& name) {
  if (name.rfind("utf8mb3", 0) != 0) return {};
  return "utf8" + name.substr(7);
}

// Runs one SET of charset or collation variables; on an unknown name, once more with the
// legacy utf8 spelling.
caf::error set_names(mysql_connection& conn, const std::vector<std::pair<const char*,
                                                                         std::string>>& vars) {
  auto statement = [&](bool legacy) {
    std::string out = "SET ";
    for (auto& [var, name] : vars) {
      auto spelled = legacy && !legacy_utf8_spelling(name).empty() ? legacy_utf8_spelling(name)
                                                                   : name;
      out += std::string{out.size() > 4 ? ", " : ""} + "SESSION " + var + " = " + quoted(spelled);
    }
    return out;
  };
  auto err = conn.execute(statement(false));
  if (!err) return caf::none;
  auto errnum = conn.last_errno();
  if (errnum != ER_UNKNOWN_COLLATION && errnum != ER_UNKNOWN_CHARACTER_SET) return err;
  if (auto retry = conn.execute(statement(true))) return err;
  return caf::none;
}

}  // namespace

caf::error set_event_session(mysql_connection& conn, const event_session& session,
                             const std::string& label) {
  std::vector<std::pair<const char*, std::string>> client;
  if (session.character_set_client)
    client.emplace_back("character_set_client", *session.character_set_client);
  if (session.collation_connection)
    client.emplace_back("collation_connection", *session.collation_connection);
  if (!client.empty())
    if (auto err = set_names(conn, client)) return err;
  if (session.collation_server)
    if (auto err = set_names(conn, {{"collation_server", *session.collation_server}})) return err;
  if (session.sql_mode) {
    if (auto err = conn.execute(mode_statement(*session.sql_mode))) {
      if (conn.last_errno() != ER_WRONG_VALUE_FOR_VAR) return err;
      std::vector<std::string> portable, dropped;
      for (auto& n : *session.sql_mode) (portable_mode(n) ? portable : dropped).push_back(n);
      if (dropped.empty()) return err;
      if (auto retry = conn.execute(mode_statement(portable))) return err;
      std::string list;
      for (auto& n : dropped) list += (list.empty() ? "" : ",") + n;
      DM_WARN("{}: the downstream does not know sql_mode {} of the upstream; the schema change "
              "runs without it", label, list);
    }
  }
  if (session.time_zone)
    if (auto err = conn.execute("SET SESSION time_zone = " + quoted(*session.time_zone)))
      return err;
  return conn.execute("SET SESSION timestamp = " + session.timestamp);
}

caf::error restore_applier_session(mysql_connection& conn) {
  if (auto err = conn.execute("SET NAMES utf8mb4, SESSION collation_server = DEFAULT, "
                              "SESSION timestamp = DEFAULT"))
    return err;
  return conn.execute(downstream_session_sql());
}

caf::expected<upstream_session_facts> read_session_facts(mysql_connection& upstream) {
  upstream_session_facts facts;
  auto rows = upstream.query(
      "SELECT ID, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS");
  if (!rows) return rows.error();
  for (auto& r : *rows) {
    if (r.size() < 3 || !r[0] || !r[1] || !r[2]) continue;
    try {
      facts.collations[static_cast<uint16_t>(std::stoul(*r[0]))] = {*r[1], *r[2]};
    } catch (const std::exception&) {
    }
  }
  auto offset = upstream.query_value(
      "SELECT CONCAT(IF(NOW() < UTC_TIMESTAMP(), '-', '+'), TIME_FORMAT(SEC_TO_TIME(ABS("
      "TIME_TO_SEC(TIMEDIFF(NOW(), UTC_TIMESTAMP())))), '%H:%i'))");
  if (!offset) return offset.error();
  if (*offset) facts.system_time_zone = **offset;
  auto defaults = load_default_collations(upstream);
  if (!defaults) return defaults.error();
  facts.default_collations = std::move(*defaults);
  return facts;
}

}  // namespace dm
