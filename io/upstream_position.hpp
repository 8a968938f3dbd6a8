// Where the upstream's binlog stands now: SHOW MASTER STATUS and the executed GTID set
// (MariaDB's gtid_binlog_pos, MySQL's gtid_executed). Blocking.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "protocol/mysql_connection.hpp"
#include "common/position.hpp"

namespace dm {

// The current binlog position; an empty position when binary logging is off.
caf::expected<binlog_position> current_binlog_position(mysql_connection& conn);

// The executed GTID set in one line ("" when the server has none or reports none).
std::string executed_gtid_set(mysql_connection& conn);

}  // namespace dm
