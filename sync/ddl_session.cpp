#include "sync/ddl_session.hpp"

#include <array>
#include <cstdio>

#include "common/error.hpp"

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

}  // namespace dm
