// The parts of an ALTER TABLE statement, named as DM's binlog filter names them ("add column",
// "drop index", "modify column", "rename column", "modify storage engine", ...), for filters
// whose events name parts rather than "alter table" as a whole. Read from the statement's
// clauses, and with the table's definition before the statement when given: parts that need it
// ("value range decrease", "precision decrease", "drop unique key", "remove auto increment";
// protocol/sql/column_changes.hpp) are named only then.
#pragma once

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

// Whether DM counts part `name` among "incompatible ddl changes".
bool is_incompatible_part(std::string_view name);

}  // namespace dm::sql
