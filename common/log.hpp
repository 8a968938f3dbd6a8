// Logging macros over spdlog's default logger, which the binaries configure (file, level).
// Style: component first, then verb, then object: DM_INFO("relay {} stored {} events", id, n).
// Nothing at info level per event or per row.
#pragma once

#include <spdlog/spdlog.h>

#define DM_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define DM_DEBUG(...) spdlog::debug(__VA_ARGS__)
#define DM_INFO(...) spdlog::info(__VA_ARGS__)
#define DM_WARN(...) spdlog::warn(__VA_ARGS__)
#define DM_ERROR(...) spdlog::error(__VA_ARGS__)
