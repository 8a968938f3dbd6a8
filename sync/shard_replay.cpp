#include "sync/shard_replay.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace dm {

std::optional<replay_plan> next_replay_plan(const std::map<upstream_table, relay_key>& holds,
                                            const relay_key& applied,
                                            const std::optional<replay_plan>& previous) {
  bool previous_open = previous && applied < previous->until;
  if (holds.empty() && !previous_open) return std::nullopt;
  replay_plan plan;
  plan.until = previous_open ? std::max(previous->until, applied) : applied;
  // Tables the previous plan still replays: what they had before `applied` is applied now.
  if (previous_open)
    for (auto& [table, key] : previous->from) plan.from[table] = std::max(key, applied);
  // Held tables: nothing from their schema change on is applied.
  for (auto& [table, start] : holds) plan.from[table] = start;
  return plan;
}

namespace {

nlohmann::json key_json(const relay_key& k) { return {k.segment, k.file_index, k.offset}; }

relay_key key_of(const nlohmann::json& j) {
  return {j.at(0).get<uint32_t>(), j.at(1).get<uint32_t>(), j.at(2).get<uint32_t>()};
}

}  // namespace

std::string to_json(const replay_plan& plan) {
  auto from = nlohmann::json::array();
  for (auto& [table, key] : plan.from) from.push_back({table.first, table.second, key_json(key)});
  return nlohmann::json{{"until", key_json(plan.until)}, {"from", from}}.dump();
}

caf::expected<replay_plan> replay_plan_from_json(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    replay_plan plan;
    plan.until = key_of(j.at("until"));
    for (auto& f : j.at("from"))
      plan.from[{f.at(0).get<std::string>(), f.at(1).get<std::string>()}] = key_of(f.at(2));
    return plan;
  } catch (const std::exception& e) {
    return make_error(ec::storage_failed,
                      std::string{"the stored replay plan of a shard DDL lock is unreadable ("} +
                          e.what() + "); stop the task with --remove-meta to start over");
  }
}

}  // namespace dm
