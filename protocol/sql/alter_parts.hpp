// The parts of an ALTER TABLE statement, named as DM's binlog filter names them ("add column",
// "drop index", "modify column", "rename column", "modify storage engine", ...), for filters
// whose events name parts rather than "alter table" as a whole. Read from the statement's
// clauses, and with the table's definition before the statement when given: parts that need it
// ("value range decrease", "precision decrease", "drop unique key", "remove auto increment";
// protocol/sql/column_changes.hpp) are named only then.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sql/column_changes.hpp"
#include "protocol/sql/lexer.hpp"

namespace dm::sql {

// The DM event names of the parts of ALTER TABLE statement `sql`, each once; with more than one
// clause also "multi schema change". Empty when `sql` is not an ALTER TABLE. `before`: the
// table's definition before the statement (null: unknown).
std::vector<std::string> alter_table_parts(std::string_view sql, const lexer_mode& mode = {},
                                           const table_definition* before = nullptr);

// The same for a DROP INDEX statement: "drop unique key" when `before` (the table's definition,
// null: unknown) says the index is unique; else nothing beyond the statement's own event.
std::vector<std::string> drop_index_parts(std::string_view sql, const lexer_mode& mode = {},
                                          const table_definition* before = nullptr);

// The index a CREATE INDEX statement creates, in upper case; "" when `sql` is not one.
std::string created_index_name(std::string_view sql, const lexer_mode& mode = {});

// One clause of an ALTER TABLE, as merging shards' schema changes sorts them.
struct alter_clause {
  enum class kind {
    add_column,     // ADD [COLUMN] one column
    add_index,      // ADD INDEX/KEY/UNIQUE/FULLTEXT/SPATIAL
    modify_column,  // MODIFY, or CHANGE keeping the name
    table_option,   // ENGINE=, COMMENT=, DEFAULT CHARSET=, ALGORITHM=, ...
    other,          // everything else (drops, renames, keys, partitions, ...)
  } what = kind::other;
  // The clause as written.
  std::string text;
  // add_column, modify_column: the column (upper case) and its new declared type.
  std::string column;
  std::optional<declared_type> type;
  // add_index: its name, or the first column's when unnamed (the server names it so; upper case).
  std::string index;
  // add_column: NOT NULL with neither a DEFAULT nor a generated value.
  bool not_null_without_default = false;
};

// The clauses of ALTER TABLE statement `sql`, in order; empty when it is not one.
std::vector<alter_clause> alter_table_clauses(std::string_view sql, const lexer_mode& mode = {});

// Whether DM counts part `name` among "incompatible ddl changes".
bool is_incompatible_part(std::string_view name);

}  // namespace dm::sql
