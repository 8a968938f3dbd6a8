// Per-table checkpoints of a syncer whose shard tables a DDL lock holds (shard-mode:
// pessimistic; sync/shard_locks.hpp).
//
// A held table's changes after its schema change are passed over until the lock resolves, while
// every other table goes on. The syncer's checkpoint (where it starts reading) therefore stays
// at the first hold, and a replay plan says what, from there, was applied already: until
// `until`, only the events of the tables in `from` at or after their key are processed; every
// other table's were applied (they are passed over); from `until` on, everything is processed.
// So a replay (after a lock resolves, a restart or a crash) applies each change exactly once,
// and never replays rows of a table across a schema change of that table.
//
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include <caf/expected.hpp>

#include "common/position.hpp"

namespace dm {

using upstream_table = std::pair<std::string, std::string>;

struct replay_plan {
  relay_key until;
  std::map<upstream_table, relay_key> from;

  // Whether the event at `key` about `table` is processed (false: applied before, pass it
  // over). Events past `until` always are.
  bool processes(const upstream_table& table, const relay_key& key) const {
    if (!(key < until)) return true;
    auto it = from.find(table);
    return it != from.end() && it->second <= key;
  }
  // An event at `key` that is about no table (a database statement): applied before when
  // before `until`.
  bool processes_untabled(const relay_key& key) const { return !(key < until); }
};

// The plan to store as the syncer's checkpoint moves to `applied` (everything not held is applied
// before it), with `holds` (held tables -> key of their schema change) and the plan the run
// started with (`previous`, or none). nullopt when nothing is held and the previous plan is
// passed: the checkpoint alone says it all.
std::optional<replay_plan> next_replay_plan(const std::map<upstream_table, relay_key>& holds,
                                            const relay_key& applied,
                                            const std::optional<replay_plan>& previous);

// Where a (task, source)'s plan is stored: meta store kind and id (task NUL source); the
// task's plans are those whose id begins with task NUL.
inline constexpr const char* replay_plan_kind = "shard_replay";
inline std::string replay_plan_id(const std::string& task, const std::string& source) {
  return task + '\0' + source;
}

std::string to_json(const replay_plan& plan);
caf::expected<replay_plan> replay_plan_from_json(const std::string& text);

}  // namespace dm
