// Reads the lines of SHOW GRANTS, and answers whether they give a privilege on a database: what
// the precheck needs to name exactly the privilege a user lacks.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dm::sql {

struct grant_line {
  // Object privileges upper-cased and single-spaced ("SELECT", "REPLICATION SLAVE"); "ALL"
  // stands for ALL [PRIVILEGES]. Column-level privileges ("SELECT (c)") are left out: they do
  // not cover a whole table.
  std::set<std::string> privileges;
  // "*" and "*" for global privileges; a database (as written: a LIKE pattern unless its
  // wildcards are escaped) and "*" for database-level ones; else one table.
  std::string db;
  std::string table;
  // For a role grant ("GRANT `r` TO `u`@`h`"): the roles given.
  std::vector<std::string> roles;
};

// One SHOW GRANTS line, or nullopt when it is not a GRANT (SET DEFAULT ROLE, ...) or grants
// something else (PROXY).
std::optional<grant_line> parse_grant(std::string_view line);

// Whether `grants` give `privilege` on the whole of database `db` (empty `db`: globally, for
// privileges that exist only globally such as RELOAD). A database-level grant covers `db` when
// its pattern matches it. REPLICATION CLIENT and BINLOG MONITOR (its MariaDB 10.5 name) stand
// for each other.
bool grants_privilege(const std::vector<grant_line>& grants, std::string_view privilege,
                      std::string_view db);

// Whether the database pattern of a grant (`_` and `%` wildcards, `\` escaping them) matches
// `db`.
bool database_pattern_matches(std::string_view pattern, std::string_view db);

}  // namespace dm::sql
