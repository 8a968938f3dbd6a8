// How dmctl prints replies: human-readable text, or JSON whose schema is documented in the
// README ("query-status --json") and stable for scripts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/status.hpp"

namespace dm::dmctl {

nlohmann::json to_json(const source_status& x);
nlohmann::json to_json(const task_status& x);
nlohmann::json to_json(const status_reply& x);
nlohmann::json to_json(const member_info& x);
// DM's lock fields (ID, task, mode, owner, DDLs, synced, unsynced) and ours.
nlohmann::json to_json(const shard_lock_status& x);
nlohmann::json to_json(const purge_result& x);
// check-task: {"result": no item failed, "checks": [{source_id, item, state, message}]}.
nlohmann::json to_json(const std::vector<check_item>& x);

std::string to_text(const source_status& x);
std::string to_text(const task_status& x);
std::string to_text(const status_reply& x);
std::string to_text(const member_info& x);
std::string to_text(const shard_lock_status& x);
std::string to_text(const purge_result& x);
// check-task: one line per item ("ok", "warn" or "FAIL", the item, its source, the message),
// then a verdict line.
std::string to_text(const std::vector<check_item>& x);

// Merges the replies of several workers: tasks of the same name are one task whose subtasks
// are the union; its stage is the worst of theirs (Paused over Running).
status_reply merge(const std::vector<status_reply>& replies);

}  // namespace dm::dmctl
