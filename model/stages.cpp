#include "model/stages.hpp"

#include <array>
#include <utility>

namespace dm {

namespace {

template <class Enum, size_t N>
const char* name_of(Enum x, const std::array<std::pair<Enum, const char*>, N>& names) {
  for (auto& [value, name] : names)
    if (value == x) return name;
  return "?";
}

template <class Enum, size_t N>
std::optional<Enum> value_of(std::string_view text,
                             const std::array<std::pair<Enum, const char*>, N>& names) {
  for (auto& [value, name] : names)
    if (text == name) return value;
  return std::nullopt;
}

constexpr std::array<std::pair<task_stage, const char*>, 6> task_stages{{
    {task_stage::running, "Running"},
    {task_stage::paused, "Paused"},
    {task_stage::finished, "Finished"},
    {task_stage::stopped, "Stopped"},
    {task_stage::stopping, "Stopping"},
    {task_stage::unknown, "Unknown"},
}};
constexpr std::array<std::pair<task_unit, const char*>, 4> task_units{{
    {task_unit::dump, "Dump"},
    {task_unit::load, "Load"},
    {task_unit::sync, "Sync"},
    {task_unit::finished, "Finished"},
}};
constexpr std::array<std::pair<relay_stage, const char*>, 5> relay_stages{{
    {relay_stage::connecting, "Connecting"},
    {relay_stage::running, "Running"},
    {relay_stage::paused, "Paused"},
    {relay_stage::stopped, "Stopped"},
    {relay_stage::unknown, "Unknown"},
}};
constexpr std::array<std::pair<task_mode, const char*>, 3> task_modes{{
    {task_mode::full, "full"},
    {task_mode::incremental, "incremental"},
    {task_mode::all, "all"},
}};
constexpr std::array<std::pair<error_action, const char*>, 4> error_actions{{
    {error_action::skip, "skip"},
    {error_action::replace, "replace"},
    {error_action::inject, "inject"},
    {error_action::revert, "revert"},
}};

constexpr std::array<std::pair<dump_consistency, const char*>, 2> consistencies{{
    {dump_consistency::flush, "flush"},
    {dump_consistency::none, "none"},
}};
constexpr std::array<std::pair<on_duplicate, const char*>, 3> duplicate_modes{{
    {on_duplicate::replace, "replace"},
    {on_duplicate::ignore, "ignore"},
    {on_duplicate::error, "error"},
}};

}  // namespace

const char* to_string(task_stage x) { return name_of(x, task_stages); }
const char* to_string(task_unit x) { return name_of(x, task_units); }
const char* to_string(relay_stage x) { return name_of(x, relay_stages); }
const char* to_string(task_mode x) { return name_of(x, task_modes); }
const char* to_string(error_action x) { return name_of(x, error_actions); }

std::optional<task_stage> task_stage_from(std::string_view t) { return value_of(t, task_stages); }
std::optional<task_unit> task_unit_from(std::string_view t) { return value_of(t, task_units); }
std::optional<relay_stage> relay_stage_from(std::string_view t) {
  return value_of(t, relay_stages);
}
std::optional<task_mode> task_mode_from(std::string_view t) { return value_of(t, task_modes); }
std::optional<error_action> error_action_from(std::string_view t) {
  return value_of(t, error_actions);
}
const char* to_string(dump_consistency x) { return name_of(x, consistencies); }
const char* to_string(on_duplicate x) { return name_of(x, duplicate_modes); }
std::optional<dump_consistency> dump_consistency_from(std::string_view t) {
  return value_of(t, consistencies);
}
std::optional<on_duplicate> on_duplicate_from(std::string_view t) {
  return value_of(t, duplicate_modes);
}

}  // namespace dm
