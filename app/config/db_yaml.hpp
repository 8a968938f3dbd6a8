// The connection settings of a server in source and task configs (`from`, `target-database`):
// host, port, user, password, DM's `security` block for TLS and, for the target, DM's `session`
// (variables set on every downstream connection).
#pragma once

#include <string>
#include <vector>

#include "model/config.hpp"
#include "app/config/yaml_map.hpp"

namespace dm::config {

// Reads `m` into `out`, recording every problem in `problems`. `session` is used when
// `allow_session` (the target database), else warned about. Keys with no effect here add a line
// to `warnings`.
void parse_db(yaml_map& m, db_config& out, bool allow_session, problem_list& problems,
              std::vector<std::string>& warnings);

}  // namespace dm::config
