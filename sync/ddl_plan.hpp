// What the syncer does with a schema change from the binlog, given the task's rules: run it
// downstream (rewritten for routes, reduced to the replicated tables), skip it, or fail. Pure
// logic, no CAF and no I/O.
#pragma once

#include <string>
#include <vector>

#include "sync/table_rules.hpp"
#include "protocol/sql/ddl.hpp"

namespace dm {

struct ddl_plan {
  enum class action { apply, skip, fail } what = action::skip;
  sql::statement_kind kind = sql::statement_kind::other;
  // The statements to run downstream, in order, after `USE use_db` when use_db is set.
  std::vector<std::string> statements;
  std::string use_db;
  // Why it is skipped or fails (one line).
  std::string reason;
};

// The DM filter event name of a statement kind ("create table", ...).
const char* filter_event_name(sql::statement_kind kind);

// Plans statement `sql` logged with default database `default_db`, read as its session's sql_mode
// says (`mode`).
ddl_plan plan_ddl(const std::string& sql, const std::string& default_db, table_rules& rules,
                  const sql::lexer_mode& mode = {});

}  // namespace dm
