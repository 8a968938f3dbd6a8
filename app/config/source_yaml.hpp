// Parsing of a source config (DM's source.yaml).
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "model/config.hpp"

namespace dm::config {

// Parses `text`, the contents of `file`. Errors are one line naming the file and key.
caf::expected<source_config> parse_source_yaml(const std::string& text, const std::string& file);

}  // namespace dm::config
