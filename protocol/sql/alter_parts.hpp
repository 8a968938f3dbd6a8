// The parts of an ALTER TABLE statement, named as DM's binlog filter names them ("add column",
// "drop index", "modify column", "rename column", "modify storage engine", ...), for filters
// whose events name parts rather than "alter table" as a whole. Read from the statement's
// clauses alone: parts that need the table's old definition to be told ("value range decrease",
// "precision decrease", "drop unique key", "remove auto increment") are never named.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/sql/lexer.hpp"

namespace dm::sql {

// The DM event names of the parts of ALTER TABLE statement `sql`, each once; with more than one
// clause also "multi schema change". Empty when `sql` is not an ALTER TABLE.
std::vector<std::string> alter_table_parts(std::string_view sql, const lexer_mode& mode = {});

// Whether DM counts part `name` among "incompatible ddl changes".
bool is_incompatible_part(std::string_view name);

}  // namespace dm::sql
