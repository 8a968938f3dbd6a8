// How a configured server (db_config: `from` of a source, `target-database` of a task) becomes
// the parameters of a connection to it.
#pragma once

#include "model/config.hpp"
#include "protocol/mysql_connection.hpp"

namespace dm {

// Host, port, user, password and TLS files as configured, with 300 s read and write timeouts;
// the target's session variables run on every connect (init_command).
connection_params to_connection_params(const db_config& db);

}  // namespace dm
