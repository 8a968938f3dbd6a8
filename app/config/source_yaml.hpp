// Parsing of a source config (DM's source.yaml).
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "model/config.hpp"

namespace dm::config {

// Parses `text`, the contents of `file`. Every problem of the file is in the one error, a line
// each naming the file and key. Keys accepted for DM's sake that have no effect here add a line
// to `warnings`.
caf::expected<source_config> parse_source_yaml(const std::string& text, const std::string& file,
                                               std::vector<std::string>& warnings);

}  // namespace dm::config
