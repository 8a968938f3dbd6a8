#include "app/dmctl/commands.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <caf/string_algorithms.hpp>

#include "app/config/source_yaml.hpp"
#include "app/config/task_yaml.hpp"
#include "app/dmctl/client.hpp"
#include "app/dmctl/render.hpp"
#include "protocol/password_cipher.hpp"

namespace dm::dmctl {

namespace {

caf::expected<std::string> read_file(const std::string& path) {
  std::ifstream in{path};
  if (!in) return make_error(ec::invalid_argument, "cannot read file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string file_name(const std::string& path) {
  return std::filesystem::path{path}.filename().string();
}

}  // namespace

caf::expected<source_config> read_source(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  std::vector<std::string> warnings;
  auto cfg = config::parse_source_yaml(*text, file_name(path), warnings);
  for (auto& w : warnings) std::cerr << "dmctl: warning: " << w << std::endl;
  return cfg;
}

caf::expected<task_config> read_task(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  std::vector<std::string> warnings;
  auto cfg = config::parse_task_yaml(*text, file_name(path), warnings);
  for (auto& w : warnings) std::cerr << "dmctl: warning: " << w << std::endl;
  return cfg;
}

caf::expected<std::string> task_name(const std::string& target) {
  if (!std::filesystem::is_regular_file(target)) return target;
  auto text = read_file(target);
  if (!text) return text.error();
  std::vector<std::string> warnings;
  auto cfg = config::parse_task_yaml(*text, file_name(target), warnings);
  if (!cfg) return cfg.error();
  return cfg->name;
}

namespace {

// DM's --start-time: "2021-10-21 00:01:00" (UTC) or RFC 3339 ("2021-10-21T00:01:00+08:00",
// "...Z"), as unix seconds.
caf::expected<int64_t> parse_start_time(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, used = 0;
  char separator = 0;
  auto bad = make_error(ec::invalid_argument,
                        "--start-time '" + text + "' is not a time like \"2021-10-21 00:01:00\" "
                        "(UTC) or \"2021-10-21T00:01:00+08:00\"");
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &year, &month, &day, &separator,
                  &hour, &minute, &second, &used) != 7 ||
      (separator != ' ' && separator != 'T') || month < 1 || month > 12 || day < 1 ||
      day > 31 || hour > 23 || minute > 59 || second > 60)
    return bad;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t seconds = timegm(&tm);
  auto zone = text.substr(static_cast<size_t>(used));
  int zone_hours = 0, zone_minutes = 0;
  char sign = 0;
  if (zone.empty() || zone == "Z") return seconds;
  if (std::sscanf(zone.c_str(), "%c%2d:%2d", &sign, &zone_hours, &zone_minutes) != 3 ||
      (sign != '+' && sign != '-') || zone.size() != 6)
    return bad;
  int64_t offset = zone_hours * 3600 + zone_minutes * 60;
  return sign == '+' ? seconds - offset : seconds + offset;
}

// The workers holding the task's sources; an error names a source that is on none.
caf::expected<std::vector<size_t>> workers_of(workers& ws, const task_config& cfg,
                                              const std::string& worker_addrs) {
  auto members = ask_each<std::vector<member_info>>(ws, ws.all(), {}, list_member_atom_v);
  if (!members) return members.error();
  std::map<std::string, size_t> owner;
  for (auto& [i, list] : members->from)
    for (auto& m : list)
      for (auto& s : m.sources) owner.emplace(s, i);
  std::set<size_t> targets;
  for (auto& inst : cfg.mysql_instances) {
    auto it = owner.find(inst.source_id);
    if (it == owner.end())
      return make_error(ec::not_found, "task " + cfg.name + " names source " + inst.source_id +
                                           ", which no worker at " + worker_addrs +
                                           " has; create it first with operate-source create");
    targets.insert(it->second);
  }
  return std::vector<size_t>(targets.begin(), targets.end());
}

std::string worker_list(const workers& ws) {
  std::string out;
  for (size_t i = 0; i < ws.size(); ++i) out += (i ? "," : "") + ws.addr(i);
  return out;
}

// The task statuses of `a` merged into one reply.
status_reply merged(const answers<task_status>& a) {
  std::vector<status_reply> replies;
  for (auto& [i, status] : a.from) replies.push_back(status_reply{{status}, {}});
  return merge(replies);
}

// A task command every worker running part of the task carries out (pause, resume,
// handle-error): the merged statuses, or why no worker took it.
template <class... Ts>
caf::expected<status_reply> on_every_part(workers& ws, const std::string& task,
                                          std::initializer_list<ec> passed_over,
                                          const Ts&... xs) {
  auto a = ask_each<task_status>(ws, ws.all(), passed_over, xs...);
  if (!a) return a.error();
  if (a->from.empty()) return on_no_worker(ws, a->refusal, "task " + task);
  return merged(*a);
}

}  // namespace

caf::expected<reply> operate_source(workers& ws, const std::string& action,
                                    const std::string& target) {
  if (action == "create") {
    if (target.empty())
      return make_error(ec::invalid_argument, "operate-source create needs a source config file");
    auto cfg = read_source(target);
    if (!cfg) return cfg.error();
    // A new source is bound to the first worker listed.
    auto status = ask<source_status>(ws, 0, operate_source_atom_v, create_atom_v, *cfg);
    if (!status) return status.error();
    return reply{{{"result", true}, {"sources", {to_json(*status)}}},
                 "created " + to_text(*status)};
  }
  std::string id = target;
  if (!id.empty() && std::filesystem::is_regular_file(id)) {
    auto cfg = read_source(id);
    if (!cfg) return cfg.error();
    id = cfg->source_id;
  }
  std::vector<source_status> found;
  std::string refusal;
  if (action == "show") {
    auto a = ask_each<std::vector<source_status>>(ws, ws.all(), {ec::not_found},
                                                  operate_source_atom_v, show_atom_v, id);
    if (!a) return a.error();
    for (auto& [i, list] : a->from) found.insert(found.end(), list.begin(), list.end());
    refusal = a->refusal;
  } else {
    if (id.empty())
      return make_error(ec::invalid_argument,
                        "operate-source stop needs a source id or config file");
    auto a = ask_each<source_status>(ws, ws.all(), {ec::not_found}, operate_source_atom_v,
                                     stop_atom_v, id);
    if (!a) return a.error();
    for (auto& [i, s] : a->from) found.push_back(s);
    refusal = a->refusal;
  }
  if (found.empty() && !id.empty()) return on_no_worker(ws, refusal, "source " + id);
  auto list = nlohmann::json::array();
  std::string text;
  for (auto& s : found) {
    list.push_back(to_json(s));
    text += (action == "stop" ? "stopped and removed " : "") + to_text(s);
  }
  if (found.empty()) text = "no sources\n";
  return reply{{{"result", true}, {"sources", list}}, text};
}

caf::expected<reply> check_task(workers& ws, const std::string& task_file) {
  auto cfg = read_task(task_file);
  if (!cfg) return cfg.error();
  auto targets = workers_of(ws, *cfg, worker_list(ws));
  if (!targets) return targets.error();
  auto a = ask_each<std::vector<check_item>>(ws, *targets, {}, check_task_atom_v, *cfg);
  if (!a) return a.error();
  std::vector<check_item> items;
  for (auto& [i, part] : a->from) items.insert(items.end(), part.begin(), part.end());
  auto json = to_json(items);
  bool passed = json["result"].get<bool>();
  return reply{json, to_text(items), passed ? 0 : 1};
}

caf::expected<reply> start_task(workers& ws, const std::string& task_file, bool remove_meta,
                                const std::string& start_time) {
  int64_t start_seconds = 0;
  if (!start_time.empty()) {
    auto parsed = parse_start_time(start_time);
    if (!parsed) return parsed.error();
    start_seconds = *parsed;
  }
  auto cfg = read_task(task_file);
  if (!cfg) return cfg.error();
  auto targets = workers_of(ws, *cfg, worker_list(ws));
  if (!targets) return targets.error();
  auto a = ask_each<task_status>(ws, *targets, {}, start_task_atom_v, *cfg, remove_meta,
                                 start_seconds);
  if (!a) return a.error();
  auto status = merged(*a);
  return reply{to_json(status), "started " + to_text(status)};
}

caf::expected<reply> query_status(workers& ws, const std::string& task,
                                  const std::vector<std::string>& sources) {
  auto a = ask_each<status_reply>(ws, ws.all(), {ec::not_found}, query_status_atom_v, task);
  if (!a) return a.error();
  if (!task.empty() && a->from.empty()) return on_no_worker(ws, a->refusal, "task " + task);
  std::vector<status_reply> replies;
  for (auto& [i, r] : a->from) replies.push_back(std::move(r));
  auto status = merge(replies);
  std::set<std::string> wanted(sources.begin(), sources.end());
  if (!wanted.empty()) {
    for (auto& t : status.tasks) {
      std::vector<subtask_status> keep;
      for (auto& s : t.subtasks)
        if (wanted.count(s.source_id)) keep.push_back(s);
      t.subtasks = std::move(keep);
    }
    status.tasks.erase(std::remove_if(status.tasks.begin(), status.tasks.end(),
                                      [](const task_status& t) { return t.subtasks.empty(); }),
                       status.tasks.end());
  }
  // Sources of other tasks, or not asked for, are noise.
  std::set<std::string> used;
  for (auto& t : status.tasks)
    for (auto& s : t.subtasks) used.insert(s.source_id);
  if (!task.empty() || !wanted.empty()) {
    std::vector<source_status> keep;
    for (auto& s : status.sources)
      if (wanted.empty() ? used.count(s.source_id) > 0 : wanted.count(s.source_id) > 0)
        keep.push_back(s);
    status.sources = std::move(keep);
  }
  for (auto& id : wanted) {
    bool known = std::any_of(status.sources.begin(), status.sources.end(),
                             [&](const source_status& s) { return s.source_id == id; }) ||
                 used.count(id) > 0;
    if (!known) return on_no_worker(ws, "", "source " + id);
  }
  return reply{to_json(status), to_text(status)};
}

caf::expected<reply> stop_task(workers& ws, const std::string& target,
                               const std::vector<std::string>& sources) {
  auto name = task_name(target);
  if (!name) return name.error();
  auto a = ask_each<task_status>(ws, ws.all(), {ec::not_found}, stop_task_atom_v, *name, sources);
  if (!a) return a.error();
  if (a->from.empty()) return on_no_worker(ws, a->refusal, "task " + *name);
  auto warnings = nlohmann::json::array();
  // With -s the task goes on on its other sources.
  std::string text =
      "task " + *name + " stopped and removed" +
      (sources.empty() ? std::string{} : " on source(s) " + caf::join(sources, ", ")) + "\n";
  for (auto& [i, status] : a->from)
    for (auto& s : status.subtasks)
      for (auto& w : s.warnings) {
        warnings.push_back("source " + s.source_id + ": " + w);
        text += "warning: source " + s.source_id + ": " + w + "\n";
      }
  nlohmann::json stopped = nlohmann::json::array();
  for (auto& [i, status] : a->from)
    for (auto& s : status.subtasks) stopped.push_back(s.source_id);
  return reply{{{"result", true},
                {"task", *name},
                {"stage", "Stopped"},
                {"sources", stopped},
                {"warnings", warnings}},
               text};
}

caf::expected<reply> pause_task(workers& ws, const std::string& task,
                                const std::vector<std::string>& sources) {
  auto status = on_every_part(ws, task, {ec::not_found}, pause_task_atom_v, task, sources);
  if (!status) return status.error();
  return reply{to_json(*status), "paused " + to_text(*status)};
}

caf::expected<reply> resume_task(workers& ws, const std::string& task,
                                 const std::vector<std::string>& sources) {
  auto status = on_every_part(ws, task, {ec::not_found}, resume_task_atom_v, task, sources);
  if (!status) return status.error();
  return reply{to_json(*status), "resumed " + to_text(*status)};
}

// Every part is checked paused before any worker is asked; a worker that still refuses (e.g. a
// part still copying its data) is named with the workers already updated.
caf::expected<reply> update_task(workers& ws, const std::string& task_file) {
  auto cfg = read_task(task_file);
  if (!cfg) return cfg.error();
  auto targets = workers_of(ws, *cfg, worker_list(ws));
  if (!targets) return targets.error();
  auto current = ask_each<status_reply>(ws, *targets, {}, query_status_atom_v, cfg->name);
  if (!current) return current.error();
  for (auto& [i, r] : current->from)
    for (auto& t : r.tasks)
      for (auto& s : t.subtasks)
        if (s.stage != task_stage::paused)
          return make_error(ec::invalid_state,
                            "task " + cfg->name + " was not updated: source " + s.source_id +
                                " on worker " + ws.addr(i) + " is " + to_string(s.stage) +
                                "; pause it first (pause-task " + cfg->name + ")");
  answers<task_status> updated;
  std::string updated_on;
  for (auto i : *targets) {
    auto status = ask<task_status>(ws, i, update_task_atom_v, *cfg);
    if (!status) {
      if (updated_on.empty()) return status.error();
      return make_error(code_of(status.error()),
                        describe(status.error()) + " (worker(s) " + updated_on +
                            " took the new rules; run update-task again once this is fixed)");
    }
    updated_on += (updated_on.empty() ? "" : ", ") + ws.addr(i);
    updated.from.emplace_back(i, std::move(*status));
  }
  auto status = merged(updated);
  return reply{to_json(status), "updated the rules of " + to_text(status) +
                                    "(they apply from the checkpoint on: resume-task " +
                                    cfg->name + ")\n"};
}

caf::expected<reply> handle_error(workers& ws, const std::string& task, const std::string& action,
                                  const std::string& sql, const std::string& binlog_pos,
                                  const std::vector<std::string>& sources) {
  auto decided = error_action_from(action);
  auto at = binlog_pos;
  // DM's relay form "mysql-bin|000001.000003:4" names upstream file mysql-bin.000003.
  if (auto bar = at.find('|'); bar != std::string::npos) {
    auto dot = at.find('.', bar);
    if (dot != std::string::npos) at = at.substr(0, bar) + at.substr(dot);
  }
  if (!at.empty())
    if (auto parsed = parse_binlog_position(at); !parsed) return parsed.error();
  if (decided == error_action::revert) {
    auto a = ask_each<task_status>(ws, ws.all(), {ec::not_found, ec::invalid_state},
                                   handle_error_atom_v, task, action, sql, at, sources);
    if (!a) return a.error();
    if (a->from.empty()) return make_error(ec::invalid_state, a->refusal);
    return reply{to_json(merged(*a)), "reverted the binlog -b operation of " +
                                          to_text(merged(*a))};
  }
  if (decided != error_action::skip && sql.empty())
    return make_error(ec::invalid_argument,
                      "binlog " + action + " " + task + " needs the SQL to run, e.g. binlog " +
                          action + " " + task + " \"ALTER TABLE ...; ...\"");
  // A worker whose part is not paused on an error has nothing to do (invalid_state).
  auto a = ask_each<task_status>(ws, ws.all(), {ec::not_found, ec::invalid_state},
                                 handle_error_atom_v, task, action, sql, at, sources);
  if (!a) return a.error();
  if (a->from.empty()) return make_error(ec::invalid_state, a->refusal);
  auto status = merged(*a);
  if (!at.empty())
    return reply{to_json(status), action + " -b " + at +
                                      ": done where a part stopped on that event, else recorded "
                                      "until the syncer reaches it (binlog revert withdraws "
                                      "it); " + to_text(status)};
  return reply{to_json(status), action + " done; resumed " + to_text(status)};
}

caf::expected<reply> purge_relay(workers& ws, const std::string& source, const std::string& file) {
  if (source.empty()) return make_error(ec::invalid_argument, "purge-relay needs -s SOURCE");
  auto a = ask_each<purge_result>(ws, ws.all(), {ec::not_found}, purge_relay_atom_v, source, file);
  if (!a) return a.error();
  if (a->from.empty()) return on_no_worker(ws, a->refusal, "source " + source);
  // A source is bound to one worker.
  auto& result = a->from.front().second;
  auto json = to_json(result);
  json["result"] = true;
  return reply{json, to_text(result)};
}

caf::expected<reply> list_errors(workers& ws, const std::string& task) {
  auto a = ask_each<status_reply>(ws, ws.all(), {ec::not_found}, query_status_atom_v, task);
  if (!a) return a.error();
  if (a->from.empty()) return on_no_worker(ws, a->refusal, "task " + task);
  auto list = nlohmann::json::array();
  std::string text;
  for (auto& [i, r] : a->from)
    for (auto& t : r.tasks)
      for (auto& s : t.subtasks) {
        if (s.error_position.file.empty()) continue;
        list.push_back({{"source", s.source_id},
                        {"binlog", s.error_position.file + ":" +
                                       std::to_string(s.error_position.pos)},
                        {"error", s.last_error}});
        text += "source " + s.source_id + ": stopped at " + s.error_position.file + ":" +
                std::to_string(s.error_position.pos) + ": " + s.last_error + "\n";
      }
  if (text.empty()) text = "no part of task " + task + " is stopped on a failed event\n";
  return reply{{{"result", true}, {"task", task}, {"errors", list}}, text};
}

caf::expected<reply> binlog_schema(workers& ws, const std::string& op, const std::string& task,
                                   const std::string& db, const std::string& table,
                                   const std::string& file, bool from_source, bool from_target) {
  const std::string object = db + "." + table;
  if (op == "update" && (!file.empty() || from_source || !from_target))
    return make_error(ec::invalid_argument,
                      "binlog-schema update " + task + " " + object +
                          ": the syncer keeps no table structure of its own to update (it reads "
                          "the binlog's metadata, else the downstream table); change the "
                          "downstream table instead (binlog-schema list shows it)");
  auto a = ask_each<std::string>(ws, ws.all(), {ec::not_found}, binlog_schema_atom_v, task, db,
                                 table);
  if (!a) return a.error();
  if (a->from.empty()) return on_no_worker(ws, a->refusal, "task " + task);
  const auto& create = a->from.front().second;
  if (op == "list")
    return reply{{{"result", true}, {"task", task}, {"table", object}, {"schema", create}},
                 create + "\n"};
  auto text = op == "delete"
                  ? "nothing to delete: the syncer keeps no structure of " + object +
                        " of its own; it reads the downstream table's\n"
                  : "nothing to update: the syncer already reads the structure of " + object +
                        " from the downstream table\n";
  return reply{{{"result", true}, {"task", task}, {"table", object}, {"msg", text}}, text};
}

caf::expected<reply> relay_command(workers& ws, const std::string& op,
                                   const std::vector<std::string>& sources) {
  if (sources.empty())
    return make_error(ec::invalid_argument, op + "-relay needs -s SOURCE");
  auto list = nlohmann::json::array();
  std::string text;
  for (auto& id : sources) {
    auto a = ask_each<source_status>(ws, ws.all(), {ec::not_found}, relay_op_atom_v, op, id);
    if (!a) return a.error();
    if (a->from.empty()) return on_no_worker(ws, a->refusal, "source " + id);
    for (auto& [i, status] : a->from) {
      list.push_back(to_json(status));
      text += op + "-relay: " + to_text(status);
    }
  }
  return reply{{{"result", true}, {"sources", list}}, text};
}

caf::expected<reply> show_ddl_locks(workers& ws, const std::string& task) {
  auto a = ask_each<std::vector<shard_lock_status>>(ws, ws.all(), {ec::not_found},
                                                    show_ddl_locks_atom_v, task);
  if (!a) return a.error();
  if (!task.empty() && a->from.empty()) return on_no_worker(ws, a->refusal, "task " + task);
  auto list = nlohmann::json::array();
  std::string text;
  // In a cluster every worker running a part of the task shows its locks (kept in etcd).
  std::set<std::string> shown;
  for (auto& [i, locks] : a->from)
    for (auto& l : locks) {
      if (!shown.insert(l.id).second) continue;
      list.push_back(to_json(l));
      text += to_text(l);
    }
  if (list.empty()) text = "no DDL locks\n";
  return reply{{{"result", true}, {"msg", ""}, {"locks", list}}, text};
}

caf::expected<reply> unlock_ddl_lock(workers& ws, const std::string& lock_id, bool force_remove) {
  auto a = ask_each<shard_lock_status>(ws, ws.all(), {ec::not_found}, unlock_ddl_lock_atom_v,
                                       lock_id, force_remove);
  if (!a) return a.error();
  if (a->from.empty()) return on_no_worker(ws, a->refusal, "DDL lock " + lock_id);
  auto& lock = a->from.front().second;
  std::string text = "unlocked " + lock.id + (force_remove ? " (removed: its change does not run "
                                                             "downstream)"
                                                           : " (its change runs downstream)");
  if (!lock.unsynced.empty()) {
    text += "; excused:";
    for (auto& s : lock.unsynced) text += " " + s + ";";
  }
  text += "\n";
  return reply{{{"result", true}, {"msg", ""}, {"lock", to_json(lock)}}, text};
}

caf::expected<reply> list_member(workers& ws) {
  auto list = nlohmann::json::array();
  std::string text;
  for (auto i : ws.all()) {
    auto r = ask<std::vector<member_info>>(ws, i, list_member_atom_v);
    if (!r && code_of(r.error()) == ec::unauthorized) return r.error();
    std::vector<member_info> members;
    if (r) {
      members = std::move(*r);
    } else {
      member_info offline;
      offline.name = ws.addr(i);
      offline.addr = ws.addr(i);
      offline.state = "offline";
      members.push_back(offline);
    }
    for (auto& m : members) {
      list.push_back(to_json(m));
      text += to_text(m);
    }
  }
  return reply{{{"result", true}, {"members", list}}, text};
}

caf::expected<reply> encrypt(const std::string& key_path, const std::string& plain) {
  auto key = read_secret_key(key_path);
  if (!key) return key.error();
  auto sealed = encrypt_password(plain, *key);
  return reply{{{"result", true}, {"encrypted", sealed}}, sealed + "\n"};
}

}  // namespace dm::dmctl
