// The connection settings of a server in source and task configs (`from`, `target-database`):
// host, port, user, password and DM's `security` block for TLS.
#pragma once

#include <caf/error.hpp>

#include "model/config.hpp"
#include "app/config/yaml_map.hpp"

namespace dm::config {

// Reads `m` into `out`.
caf::error parse_db(const yaml_map& m, db_config& out);

}  // namespace dm::config
