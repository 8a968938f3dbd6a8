// Writes source and task configs back as DM-format YAML files (dmctl get-config, config
// export): what parse_source_yaml / parse_task_yaml read gives the same config again. Rules
// resolved per instance are written as named sections ("ba-<source>", "route-<source>-<n>",
// filters under their own names); passwords are written as they were given.
#pragma once

#include <string>

#include "model/config.hpp"

namespace dm::config {

std::string to_dm_yaml(const source_config& source);
std::string to_dm_yaml(const task_config& task);

}  // namespace dm::config
