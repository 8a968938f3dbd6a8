// Sets up spdlog's default logger for a binary: to a file (created with its directory) or to
// stderr, at the given level.
#pragma once

#include <string>

#include <caf/error.hpp>

namespace dm::app {

caf::error setup_logging(const std::string& file, const std::string& level,
                         const std::string& program);

}  // namespace dm::app
