// What a statement from a query event does to the schema: its kind, and the tables or database
// it names with their byte spans, so that the syncer can filter schema changes per table and
// rewrite them for routes. A lexer-driven reading of the statement's head, not a full parser:
// it finds object names, never looks into column definitions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sql/lexer.hpp"

namespace dm::sql {

enum class statement_kind {
  // Transaction control: BEGIN, COMMIT, ROLLBACK, XA ..., SAVEPOINT.
  transaction_control,
  create_database,
  alter_database,
  drop_database,
  create_table,
  alter_table,
  drop_table,
  rename_table,
  truncate_table,
  create_index,
  drop_index,
  // Statements about users, grants, views, routines, triggers, events, servers, plugins, and
  // table maintenance: logged and skipped.
  other,
};

// A table or database named by a statement.
struct object_ref {
  // The database as written, or the statement's default database when unqualified.
  std::string db;
  // The table (empty for a database reference).
  std::string table;
  // Byte span of the whole reference ([db.]name) in the statement.
  size_t begin = 0;
  size_t end = 0;
};

struct ddl_statement {
  statement_kind kind = statement_kind::other;
  // CREATE TABLE: the new table, then the LIKE source if any. ALTER TABLE: the table, then a
  // RENAME target if any. RENAME TABLE: old, new, old, new, ... DROP TABLE: each table.
  // TRUNCATE, CREATE/DROP INDEX: the table.
  std::vector<object_ref> tables;
  // CREATE/ALTER/DROP DATABASE: the database (db set, table empty).
  std::optional<object_ref> database;
  // CREATE TABLE ... SELECT and CREATE TABLE ... LIKE are not single-table statements.
  bool creates_from_other = false;
};

// Reads `sql`, logged under `mode`; unqualified names take `default_db`.
ddl_statement analyze_ddl(std::string_view sql, std::string_view default_db,
                          const lexer_mode& mode = {});

statement_kind classify_statement(std::string_view sql);

// True for the kinds the syncer applies downstream.
bool is_replicated_ddl(statement_kind kind);

const char* to_string(statement_kind kind);

// `sql` with the spans of `replacements` (ascending, non-overlapping) replaced by their text.
std::string rewrite(std::string_view sql,
                    const std::vector<std::pair<object_ref, std::string>>& replacements);

}  // namespace dm::sql
