// Classification of the statements a binlog carries in query events, so the syncer knows which
// schema changes to apply downstream and which statements to skip. A lexer over the leading
// keywords, not a parser: it never looks past the object kind.
#pragma once

#include <string_view>

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

statement_kind classify_statement(std::string_view sql);

// True for the kinds the syncer applies downstream.
bool is_replicated_ddl(statement_kind kind);

const char* to_string(statement_kind kind);

}  // namespace dm::sql
