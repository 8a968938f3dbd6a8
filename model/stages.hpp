// The named states and choices of the system, as enums: a typo is a compile error, and a string
// is only ever produced or read at the edges (query-status JSON and text, config files, the
// RocksDB records), through to_string / from_string here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dm {

// Stage of a task (and of each of its parts on a source).
enum class task_stage : uint8_t {
  running,   // "Running": its units run (or are restarted after a failure)
  paused,    // "Paused": the operator paused it, or a unit failed and needs the operator
  finished,  // "Finished": task-mode full, everything loaded
  stopped,   // "Stopped": removed by stop-task (only in stop-task's answer)
  stopping,  // "Stopping": stop-task is stopping its units
  unknown,   // "Unknown": the part did not answer a status request
};

// The unit a task part runs, or would go on with.
enum class task_unit : uint8_t {
  dump,      // "Dump": dumping (loading may run beside it)
  load,      // "Load": loading what the dump left
  sync,      // "Sync": applying the binlog
  finished,  // "Finished": a full task that loaded everything
};

// Stage of a source's relay.
enum class relay_stage : uint8_t {
  connecting,  // "Connecting": retrying with backoff
  running,     // "Running"
  paused,      // "Paused": an upstream setting, a privilege or the disk needs the operator
  stopped,     // "Stopped": removed by operate-source stop (only in its answer)
  unknown,     // "Unknown": the source did not answer
};

// task.yaml task-mode.
enum class task_mode : uint8_t { full, incremental, all };

// How the dumper's connections get their snapshot (mydumpers extra-args --consistency).
enum class dump_consistency : uint8_t { flush, none };

// What the loader does with a row whose key the downstream table already holds.
enum class on_duplicate : uint8_t { replace, ignore, error };

// The operator's decision about an event a task paused on (handle-error / binlog): skip it,
// replace it with SQL, or inject SQL before it (the SQL runs at once, then the event is tried
// again); revert withdraws a decision made ahead (binlog -b) that has not acted yet.
enum class error_action : uint8_t { skip, replace, inject, revert };

const char* to_string(task_stage x);
const char* to_string(task_unit x);
const char* to_string(relay_stage x);
const char* to_string(task_mode x);
const char* to_string(error_action x);
const char* to_string(dump_consistency x);
const char* to_string(on_duplicate x);

// The value spelled as to_string spells it; nullopt for anything else.
std::optional<task_stage> task_stage_from(std::string_view text);
std::optional<task_unit> task_unit_from(std::string_view text);
std::optional<relay_stage> relay_stage_from(std::string_view text);
std::optional<task_mode> task_mode_from(std::string_view text);
std::optional<error_action> error_action_from(std::string_view text);
std::optional<dump_consistency> dump_consistency_from(std::string_view text);
std::optional<on_duplicate> on_duplicate_from(std::string_view text);

// Whether a task in `mode` copies existing data (full, all) and whether it syncs the binlog
// (incremental, all).
inline bool copies(task_mode mode) { return mode != task_mode::incremental; }
inline bool syncs(task_mode mode) { return mode != task_mode::full; }

}  // namespace dm
