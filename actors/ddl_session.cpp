#include "actors/ddl_session.hpp"

#include <mysqld_error.h>

#include <array>
#include <cstdio>

#include "protocol/downstream_session.hpp"
#include "protocol/error.hpp"
#include "protocol/log.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

// sql_mode bits by position (MariaDB sql_class.h MODE_*; MySQL system_variables.h), empty where
// the flavor leaves a bit unused.
constexpr std::array<const char*, 35> mariadb_modes = {
    "REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE",
    "IGNORE_BAD_TABLE_OPTIONS", "ONLY_FULL_GROUP_BY", "NO_UNSIGNED_SUBTRACTION",
    "NO_DIR_IN_CREATE", "POSTGRESQL", "ORACLE", "MSSQL", "DB2", "MAXDB", "NO_KEY_OPTIONS",
    "NO_TABLE_OPTIONS", "NO_FIELD_OPTIONS", "MYSQL323", "MYSQL40", "ANSI",
    "NO_AUTO_VALUE_ON_ZERO", "NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES", "STRICT_ALL_TABLES",
    "NO_ZERO_IN_DATE", "NO_ZERO_DATE", "ALLOW_INVALID_DATES", "ERROR_FOR_DIVISION_BY_ZERO",
    "TRADITIONAL", "NO_AUTO_CREATE_USER", "HIGH_NOT_PRECEDENCE", "NO_ENGINE_SUBSTITUTION",
    "PAD_CHAR_TO_FULL_LENGTH", "EMPTY_STRING_IS_NULL", "SIMULTANEOUS_ASSIGNMENT",
    "TIME_ROUND_FRACTIONAL"};
// MySQL 5.7 numbers bits 8-17 as MariaDB does; 8.0 leaves them unused (they never appear).
constexpr std::array<const char*, 33> mysql_modes = {
    "REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE", "", "ONLY_FULL_GROUP_BY",
    "NO_UNSIGNED_SUBTRACTION", "NO_DIR_IN_CREATE", "POSTGRESQL", "ORACLE", "MSSQL", "DB2",
    "MAXDB", "NO_KEY_OPTIONS", "NO_TABLE_OPTIONS", "NO_FIELD_OPTIONS", "MYSQL323", "MYSQL40",
    "ANSI", "NO_AUTO_VALUE_ON_ZERO", "NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES",
    "STRICT_ALL_TABLES", "NO_ZERO_IN_DATE", "NO_ZERO_DATE", "ALLOW_INVALID_DATES",
    "ERROR_FOR_DIVISION_BY_ZERO", "TRADITIONAL", "NO_AUTO_CREATE_USER", "HIGH_NOT_PRECEDENCE",
    "NO_ENGINE_SUBSTITUTION", "PAD_CHAR_TO_FULL_LENGTH", "TIME_TRUNCATE_FRACTIONAL"};

constexpr uint64_t ansi_quotes_bit = 1ull << 2;
constexpr uint64_t no_backslash_escapes_bit = 1ull << 20;

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

std::vector<std::string> sql_mode_names(uint64_t mode, bool mariadb) {
  std::vector<std::string> names;
  auto count = mariadb ? mariadb_modes.size() : mysql_modes.size();
  for (size_t bit = 0; bit < count; ++bit) {
    if (!(mode & (1ull << bit))) continue;
    const char* name = mariadb ? mariadb_modes[bit] : mysql_modes[bit];
    if (*name) names.emplace_back(name);
  }
  return names;
}

sql::lexer_mode lexer_mode_of(const std::optional<uint64_t>& sql_mode) {
  sql::lexer_mode mode;
  if (sql_mode) {
    mode.ansi_quotes = *sql_mode & ansi_quotes_bit;
    mode.no_backslash_escapes = *sql_mode & no_backslash_escapes_bit;
  }
  return mode;
}

caf::expected<event_session> session_of(const binlog::query_status& status, uint32_t timestamp,
                                        bool mariadb, const upstream_session_facts& facts) {
  event_session s;
  auto name_of = [&](uint16_t id, const char* what) -> caf::expected<collation_name> {
    auto it = facts.collations.find(id);
    if (it == facts.collations.end())
      return make_error(ec::unsupported,
                        std::string{"the binlog names "} + what + " by collation id " +
                            std::to_string(id) + ", which the upstream's "
                            "information_schema.COLLATIONS does not list");
    return it->second;
  };
  if (status.charset_client) {
    auto client = name_of(*status.charset_client, "character_set_client");
    if (!client) return client.error();
    s.character_set_client = client->charset;
  }
  if (status.collation_connection) {
    auto connection = name_of(*status.collation_connection, "collation_connection");
    if (!connection) return connection.error();
    s.collation_connection = connection->collation;
  }
  if (status.collation_server) {
    auto server = name_of(*status.collation_server, "collation_server");
    if (!server) return server.error();
    s.collation_server = server->collation;
  }
  if (status.sql_mode) s.sql_mode = sql_mode_names(*status.sql_mode, mariadb);
  if (status.time_zone)
    s.time_zone = *status.time_zone == "SYSTEM" ? facts.system_time_zone : *status.time_zone;
  s.timestamp = std::to_string(timestamp);
  if (status.microseconds) {
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06u", *status.microseconds % 1000000);
    s.timestamp += fraction;
  }
  return s;
}

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
  return facts;
}

}  // namespace dm
