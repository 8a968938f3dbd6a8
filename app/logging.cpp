#include "app/logging.hpp"

#include <filesystem>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"

namespace dm::app {

caf::error setup_logging(const std::string& file, const std::string& level,
                         const std::string& program) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (file.empty()) {
      logger = spdlog::stderr_logger_mt(program);
    } else {
      auto dir = std::filesystem::path{file}.parent_path();
      if (!dir.empty()) std::filesystem::create_directories(dir);
      logger = spdlog::basic_logger_mt(program, file);
    }
  } catch (const std::exception& e) {
    return make_error(ec::invalid_config,
                      "log-file " + file + " cannot be opened: " + e.what());
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return caf::none;
}

}  // namespace dm::app
