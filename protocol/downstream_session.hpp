// A downstream connection set up the way the SQL builders of protocol/sql/ rely on:
// time_zone '+00:00' (TIMESTAMP literals are UTC), utf8mb4 (see quote.hpp), an sql_mode that
// stores what the upstream stored (zero dates, explicit zeros in AUTO_INCREMENT columns,
// backslash escapes), and foreign key checks off (the upstream already checked them).
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "protocol/mysql_connection.hpp"

namespace dm {

caf::expected<mysql_connection> open_downstream_session(const connection_params& params,
                                                        std::string label);

// The SET statement of that session's time zone, sql_mode and foreign key checks.
const std::string& downstream_session_sql();

}  // namespace dm
