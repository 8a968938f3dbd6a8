// DM's collation_compatible: strict. A statement that names a character set without a collation
// gets the server's default collation of that set, which differs between servers (MySQL 8's
// utf8mb4 is utf8mb4_0900_ai_ci, MariaDB's utf8mb4_general_ci, TiDB's utf8mb4_bin): naming the
// upstream's default keeps the downstream's collation, and so its comparisons and unique keys,
// the upstream's.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "protocol/sql/lexer.hpp"

namespace dm::sql {

// Character set (lower case) -> its default collation on the upstream.
using default_collations = std::map<std::string, std::string>;

// `sql` with " COLLATE <default>" after each CHARACTER SET/CHARSET name that its column
// definition, or its list of table or database options, leaves without a COLLATE; for CREATE
// and ALTER of databases and tables (executable comments included), every other statement
// unchanged. A set inside CAST/CONVERT, the binary set, and sets `defaults` lacks are left as
// they are.
std::string pin_default_collations(std::string_view sql, const default_collations& defaults,
                                   const lexer_mode& mode = {});

}  // namespace dm::sql
