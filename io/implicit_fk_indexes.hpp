// Asks an upstream which of a table's keys it created implicitly for a foreign key (see
// protocol/sql/foreign_key_indexes.hpp): SHOW CREATE TABLE cannot tell, the server only acts
// on it. Blocking.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "protocol/mysql_connection.hpp"
#include "protocol/sql/foreign_key_indexes.hpp"

namespace dm {

// The names among `candidates` (foreign_key_index_candidates of `db`.`table`) that the server
// made implicitly. It copies the table to a temporary one (CREATE TEMPORARY TABLE ... LIKE
// keeps the mark of an implicit index, and no foreign key), adds an index over the same columns
// as each candidate, and reads which candidates the server dropped for it: exactly the implicit
// ones. Fails, writing nothing, when the session would put that into the binlog (a binlog
// format other than ROW, unless sql_log_bin can be turned off) or lacks the privilege
// (CREATE TEMPORARY TABLES on the table's database).
// REQUIRES: `conn` holds no transaction the caller needs (ALTER TABLE commits).
caf::expected<std::vector<std::string>> implicit_fk_indexes(
    mysql_connection& conn, const std::string& db, const std::string& table,
    const std::vector<sql::foreign_key_index>& candidates);

}  // namespace dm
