// Where table structures come from: the table map itself when the upstream logs full metadata
// (binlog_row_metadata=FULL), else the upstream's information_schema; and, for filters that name
// what a schema change does to values, a downstream table's definition before the change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/expected.hpp>

#include "protocol/binlog/table_map.hpp"
#include "protocol/mysql_connection.hpp"
#include "protocol/sql/column_changes.hpp"
#include "protocol/sql/pinned_collations.hpp"
#include "protocol/table_schema.hpp"

namespace dm {

// Collation id -> character set name, as the server that wrote the binlog defines them.
using collation_charsets = std::unordered_map<uint32_t, std::string>;

// Reads the upstream's collation ids (information_schema).
caf::expected<collation_charsets> load_collation_charsets(mysql_connection& conn);

// The server's default collation of each character set (information_schema, and MariaDB's
// character_set_collations where it names others).
caf::expected<sql::default_collations> load_default_collations(mysql_connection& conn);

// The structure of `table` as its table map describes it, when the map carries column names
// (and, for string columns, charsets). Unique keys other than the primary key are not in table
// maps; they are left empty. nullopt when the map lacks the metadata.
std::optional<table_schema> schema_from_table_map(const binlog::table_map_event& table,
                                                  const collation_charsets& charsets);

// The current structure of db.table on the server, from information_schema.
// Fails with ec::not_found when the table does not exist.
caf::expected<table_schema> load_table_schema(mysql_connection& conn, const std::string& db,
                                              const std::string& table);

// The definition of db.table on the server as ALTER TABLE's filter names need it (declared column
// types, unique indexes; protocol/sql/column_changes.hpp): empty when the table does not exist.
caf::expected<sql::table_definition> load_table_definition(mysql_connection& conn,
                                                           const std::string& db,
                                                           const std::string& table);

}  // namespace dm
