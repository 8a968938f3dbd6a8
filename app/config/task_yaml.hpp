// Parsing of a task config (DM's task.yaml).
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "model/config.hpp"

namespace dm::config {

// Parses `text`, the contents of `file`. Keys that are accepted for compatibility with DM but
// have no effect here are reported in `warnings` (one line each). Errors are one line naming the
// file and key.
caf::expected<task_config> parse_task_yaml(const std::string& text, const std::string& file,
                                           std::vector<std::string>& warnings);

}  // namespace dm::config
