// JSON form of the config model, used to persist source and task configs in the meta store.
// Reading tolerates missing fields (defaults apply), so records written by an older version load.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "model/config.hpp"

namespace dm {

std::string to_json(const source_config& x);
std::string to_json(const task_config& x);

caf::expected<source_config> source_config_from_json(const std::string& text);
caf::expected<task_config> task_config_from_json(const std::string& text);

}  // namespace dm
