// DM's binlog event filter rules, as task configs (`filters: {name: rule}`) and source configs
// (`filters: [rule, ...]`) write them. Patterns, event names, actions and SQL regular
// expressions are checked here, when the file is read, not first at the precheck.
#pragma once

#include "model/config.hpp"
#include "app/config/yaml_map.hpp"

namespace dm::config {

// Reads one rule from `m` into `out` (whose name the caller set), recording every problem.
void parse_filter(const yaml_map& m, filter_rule& out, problem_list& problems);

}  // namespace dm::config
