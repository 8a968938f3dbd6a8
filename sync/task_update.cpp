#include "sync/task_update.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "model/config_json.hpp"
#include "common/error.hpp"

namespace dm {

namespace {

// How the task file names a config member (task_mode -> task-mode; an instance's resolved unit
// settings by the sections they come from).
std::string file_spelling(std::string member) {
  if (member == "syncer") return "syncer settings (syncers, syncer-thread)";
  if (member == "dumper") return "dump settings (mydumpers, mydumper-thread)";
  if (member == "loader") return "load settings (loaders, loader-thread)";
  std::replace(member.begin(), member.end(), '_', '-');
  return member;
}

// The first member whose value differs between `a` and `b` (both JSON objects), or "".
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b) {
  for (auto& [key, value] : a.items())
    if (!b.contains(key) || b.at(key) != value) return key;
  for (auto& [key, value] : b.items())
    if (!a.contains(key)) return key;
  return "";
}

nlohmann::json without_rules(const mysql_instance& inst) {
  auto copy = inst;
  copy.block_allow = {};
  copy.routes.clear();
  copy.filters.clear();
  task_config holder;
  holder.mysql_instances.push_back(std::move(copy));
  return nlohmann::json::parse(to_json(holder))["mysql_instances"][0];
}

}  // namespace

caf::error check_rules_only_update(const task_config& running, const task_config& updated) {
  auto refuse = [&](const std::string& what) {
    return make_error(ec::invalid_argument,
                      "update-task of task " + running.name + " changes " + what +
                          "; it may change only block-allow-list, route-rules and "
                          "filter-rules: stop the task and start it again to change the rest");
  };
  auto a = nlohmann::json::parse(to_json(running));
  auto b = nlohmann::json::parse(to_json(updated));
  a.erase("mysql_instances");
  b.erase("mysql_instances");
  if (auto key = first_difference(a, b); !key.empty()) return refuse(file_spelling(key));
  if (running.mysql_instances.size() != updated.mysql_instances.size())
    return refuse("the sources it names");
  for (auto& old_inst : running.mysql_instances) {
    auto it = std::find_if(updated.mysql_instances.begin(), updated.mysql_instances.end(),
                           [&](auto& i) { return i.source_id == old_inst.source_id; });
    if (it == updated.mysql_instances.end()) return refuse("the sources it names");
    if (auto key = first_difference(without_rules(old_inst), without_rules(*it)); !key.empty())
      return refuse("source " + old_inst.source_id + ": " + file_spelling(key));
  }
  return {};
}

}  // namespace dm
