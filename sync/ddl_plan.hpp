// What the syncer does with a schema change from the binlog, given the task's rules: run it
// downstream (rewritten for routes, reduced to the replicated tables), skip it, or fail. Pure
// logic, no CAF and no I/O.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sync/table_rules.hpp"
#include "protocol/sql/column_changes.hpp"
#include "protocol/sql/ddl.hpp"

namespace dm {

// Definitions of downstream tables before a statement, read for filters that need them
// (table_rules::needs_definition) and for merging shards' changes (shard_ddl::optimistic):
// (db, table) -> definition; empty when the table is absent.
using table_definitions =
    std::map<std::pair<std::string, std::string>, sql::table_definition>;

struct ddl_plan {
  // describe: the filters need the definition of downstream table `described` before the
  // statement; read it, then plan again with it.
  enum class action { apply, skip, fail, describe } what = action::skip;
  sql::statement_kind kind = sql::statement_kind::other;
  // The statements to run downstream, in order, after `USE use_db` when use_db is set.
  std::vector<std::string> statements;
  std::string use_db;
  // Why it is skipped or fails (one line).
  std::string reason;
  std::pair<std::string, std::string> described;
  // A change of a shard merged into one table (shard_ddl::optimistic), planned against that
  // table's definition as it was read.
  bool merges_shards = false;
  // shard_ddl::pessimistic: the upstream shard table (db, table) whose change this is, when
  // the statement is about a table merged into one; its merged table `db`.`table`, when the
  // change waits for every shard to make it (a DDL lock; ALTER TABLE, CREATE/DROP INDEX).
  std::pair<std::string, std::string> shard_table;
  std::string lock_target;
  // shard_ddl::pessimistic: every upstream table the statement names (the syncer keeps held
  // shards' statements in order with them).
  std::vector<std::pair<std::string, std::string>> tables_named;
};

// How the schema changes of tables merged into one (table_rules::merges, or extract columns) are
// treated: as any other statement, merged as DM's shard-mode optimistic does (what a shard adds
// or widens applied once, what cannot be merged stopping the part), or held as its pessimistic
// mode does (the change runs once every shard made it: sync/shard_locks.hpp).
enum class shard_ddl { plain, optimistic, pessimistic };

// The DM filter event name of a statement kind ("create table", ...).
const char* filter_event_name(sql::statement_kind kind);

// Plans statement `sql` logged with default database `default_db`, read as its session's sql_mode
// says (`mode`), with the downstream definitions read so far for it (null: none), merging
// shards' changes as `shards` says.
ddl_plan plan_ddl(const std::string& sql, const std::string& default_db, table_rules& rules,
                  const sql::lexer_mode& mode = {},
                  const table_definitions* definitions = nullptr,
                  shard_ddl shards = shard_ddl::plain);

}  // namespace dm
