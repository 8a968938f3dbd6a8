#include "sync/shard_locks.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "common/ascii_case.hpp"
#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

// Resolved locks kept per merged table: replays reach back at most to the oldest lock a syncer
// still held when it last stopped, which is never more than a few changes back.
constexpr size_t kept_resolved = 16;

shard_verdict verdict(shard_verdict::kind what, std::string id, std::string reason = {}) {
  return {what, std::move(id), std::move(reason)};
}

nlohmann::json member_json(const shard_member& m) { return {m.source, m.db, m.table}; }

shard_member member_of(const nlohmann::json& j) {
  return {j.at(0).get<std::string>(), j.at(1).get<std::string>(), j.at(2).get<std::string>()};
}

}  // namespace

std::string comparable_ddl(const std::vector<std::string>& statements,
                           const sql::lexer_mode& mode) {
  std::string out;
  for (auto& statement : statements) {
    if (!out.empty()) out += "; ";
    bool first = true;
    for (auto& t : sql::tokenize(statement, mode)) {
      if (!first) out += ' ';
      first = false;
      // Names compare without case (as columns and indexes do), quoted or not.
      bool plain = std::all_of(t.text.begin(), t.text.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '$';
      });
      if (t.type == sql::token::kind::word || (t.type == sql::token::kind::quoted_identifier && plain))
        out += ascii_upper(t.text);
      else if (t.type == sql::token::kind::quoted_identifier)
        sql::append_identifier(out, ascii_upper(t.text));
      else
        out += t.text;
    }
  }
  return out;
}

std::string to_string(const shard_member& m) {
  return m.source + " " + sql::qualified_name(m.db, m.table);
}

std::map<std::string, std::set<std::string>> shard_lock_book::set_shards(
    const std::string& task, const std::string& source,
    const std::map<std::string, std::set<shard_member>>& by_target) {
  auto& t = tasks_[task];
  t.reported.insert(source);
  for (auto& [target, members] : t.shards) members.erase(source);
  for (auto& [target, members] : by_target) t.shards[target][source] = members;
  std::map<std::string, std::set<std::string>> ready;
  for (auto& [target, l] : t.open) {
    if (!l.unknown_sources.erase(source)) continue;
    auto it = by_target.find(target);
    if (it != by_target.end()) l.expected.insert(it->second.begin(), it->second.end());
    if (!l.executing && complete(l)) run_without_owner(l, ready[target]);
  }
  return ready;
}

std::map<std::string, std::set<std::string>> shard_lock_book::shard_changed(
    const std::string& task, const std::string& target, const shard_member& member,
    bool present) {
  auto& t = tasks_[task];
  std::map<std::string, std::set<std::string>> ready;
  if (present) {
    t.shards[target][member.source].insert(member);
    return ready;
  }
  t.shards[target][member.source].erase(member);
  auto open = t.open.find(target);
  if (open == t.open.end()) return ready;
  auto& l = open->second;
  if (!l.arrived.count(member) && l.expected.erase(member) && !l.executing && complete(l))
    run_without_owner(l, ready[target]);
  return ready;
}

std::map<std::string, std::set<std::string>> shard_lock_book::forget_source(
    const std::string& task, const std::string& source) {
  std::map<std::string, std::set<std::string>> ready;
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return ready;
  auto& t = it->second;
  t.removed.insert(source);
  t.reported.erase(source);
  for (auto& [target, members] : t.shards) members.erase(source);
  auto of_source = [&](const shard_member& m) { return m.source == source; };
  for (auto& [target, l] : t.open) {
    l.unknown_sources.erase(source);
    for (auto m = l.expected.begin(); m != l.expected.end();)
      m = of_source(*m) ? l.expected.erase(m) : std::next(m);
    for (auto m = l.arrived.begin(); m != l.arrived.end();)
      m = of_source(m->first) ? l.arrived.erase(m) : std::next(m);
    if (l.has_owner && of_source(l.owner)) l.has_owner = false;
    if (l.arrived.empty()) continue;  // dropped below: nobody made the change
    if (!l.executing && complete(l)) run_without_owner(l, ready[target]);
    else if (l.executing && !l.has_owner)
      for (auto& [m, position] : l.arrived) ready[target].insert(m.source);
  }
  for (auto l = t.open.begin(); l != t.open.end();)
    l = l->second.arrived.empty() ? t.open.erase(l) : std::next(l);
  return ready;
}

void shard_lock_book::run_without_owner(lock& l, std::set<std::string>& replaying) {
  l.executing = true;
  l.has_owner = false;
  for (auto& [m, position] : l.arrived) replaying.insert(m.source);
}

bool shard_lock_book::complete(const lock& l) {
  for (auto& s : l.unknown_sources)
    if (!l.excused_sources.count(s)) return false;
  for (auto& m : l.expected)
    if (!l.arrived.count(m) && !excused(l, m)) return false;
  return true;
}

shard_verdict shard_lock_book::arrive(const shard_arrival& a, int64_t now) {
  const auto& [task, task_sources, target, ddl, statement, member, position] = a;
  auto id = lock_id(task, target);
  auto& t = tasks_[task];
  auto& history = t.resolved[target];
  // A replay of a change whose lock resolved, or a late member the operator excused.
  for (auto r = history.rbegin(); r != history.rend(); ++r) {
    auto at = r->arrived.find(member);
    if (at != r->arrived.end() && at->second == position)
      return verdict(shard_verdict::kind::skip, id, "its lock was " + r->resolution + " already");
  }
  for (auto& r : history)
    if (!r.arrived.count(member) && excused(r, member) && r.ddl == ddl) {
      r.arrived[member] = position;
      return verdict(shard_verdict::kind::skip, id,
                     "the operator resolved its lock (" + r.resolution + ") before it arrived");
    }

  auto open = t.open.find(target);
  if (open == t.open.end()) {
    lock l;
    l.target = target;
    l.ddl = ddl;
    l.statement = statement;
    l.since = now;
    auto known = t.shards.find(target);
    for (auto& source : task_sources) {
      if (t.removed.count(source)) continue;
      if (!t.reported.count(source)) {
        l.unknown_sources.insert(source);
        continue;
      }
      if (known == t.shards.end()) continue;
      auto members = known->second.find(source);
      if (members != known->second.end())
        l.expected.insert(members->second.begin(), members->second.end());
    }
    open = t.open.emplace(target, std::move(l)).first;
  }
  auto& l = open->second;
  if (l.ddl != ddl) {
    auto first = l.arrived.empty() ? std::string{} : to_string(l.arrived.begin()->first);
    return verdict(shard_verdict::kind::conflict, id,
                   "shard " + to_string(member) + " changed merged table " + target + " with '" +
                       statement + "', but DDL lock " + id + " waits for every shard to make '" +
                       l.statement + "'" + (first.empty() ? "" : " (as " + first + " did)") +
                       ": make the shards run the same changes in the same order, or resolve "
                       "this event with dmctl binlog skip|replace -s " + member.source);
  }
  l.arrived[member] = position;
  l.expected.insert(member);
  if (l.executing) {
    if (!l.has_owner) {
      l.owner = member;
      l.has_owner = true;
    }
    return verdict(l.owner == member ? shard_verdict::kind::execute : shard_verdict::kind::wait,
                   id);
  }
  if (!complete(l)) return verdict(shard_verdict::kind::wait, id);
  l.executing = true;
  l.owner = member;
  l.has_owner = true;
  return verdict(shard_verdict::kind::execute, id);
}

void shard_lock_book::resolve(task_locks& t, const std::string& target, std::string how) {
  auto open = t.open.find(target);
  open->second.resolution = std::move(how);
  auto& history = t.resolved[target];
  history.push_back(std::move(open->second));
  if (history.size() > kept_resolved) history.pop_front();
  t.open.erase(open);
}

caf::expected<std::set<std::string>> shard_lock_book::executed(const std::string& task,
                                                               const std::string& target) {
  auto not_executing = make_error(ec::invalid_state, "DDL lock " + lock_id(task, target) +
                                                        " is not being executed");
  auto t = tasks_.find(task);
  if (t == tasks_.end()) return not_executing;
  auto open = t->second.open.find(target);
  if (open == t->second.open.end() || !open->second.executing) return not_executing;
  std::set<std::string> sources;
  for (auto& [m, position] : open->second.arrived) sources.insert(m.source);
  resolve(t->second, target, "executed");
  return sources;
}

caf::expected<std::pair<shard_lock_status, std::set<std::string>>> shard_lock_book::unlock(
    const std::string& id, bool force_remove, int64_t now) {
  for (auto& [task, t] : tasks_)
    for (auto& [target, l] : t.open) {
      if (lock_id(task, target) != id) continue;
      auto shown = status_of(task, l, now, 0);
      std::set<std::string> sources;
      for (auto& [m, position] : l.arrived) sources.insert(m.source);
      for (auto& m : l.expected)
        if (!l.arrived.count(m)) l.excused.insert(m);
      l.excused_sources.insert(l.unknown_sources.begin(), l.unknown_sources.end());
      if (force_remove) {
        resolve(t, target, "force-removed");
      } else if (!l.executing) {
        // The first member to arrive again (its syncer replays) runs the change; a lock whose
        // owner runs it already keeps that owner.
        l.executing = true;
        l.has_owner = false;
      }
      return std::make_pair(std::move(shown), std::move(sources));
    }
  return make_error(ec::not_found, "no DDL lock " + id + " on this worker (show-ddl-locks lists "
                                                         "them)");
}

shard_lock_status shard_lock_book::status_of(const std::string& task, const lock& l, int64_t now,
                                             int64_t report_after) const {
  shard_lock_status s;
  s.id = lock_id(task, l.target);
  s.task = task;
  s.target = l.target;
  s.ddls.push_back(l.statement);
  if (l.has_owner) s.owner = to_string(l.owner);
  else if (!l.arrived.empty()) s.owner = to_string(l.arrived.begin()->first);
  for (auto& [m, position] : l.arrived) s.synced.push_back(to_string(m) + " at " + position);
  for (auto& m : l.expected)
    if (!l.arrived.count(m) && !excused(l, m)) s.unsynced.push_back(to_string(m));
  for (auto& source : l.unknown_sources)
    if (!l.excused_sources.count(source))
      s.unsynced.push_back("source " + source + " (its shard tables are not known yet: its task "
                           "part has not started on this worker)");
  s.since = l.since;
  s.state = l.executing ? "executing" : "waiting";
  s.overdue = report_after > 0 && now - l.since >= report_after;
  return s;
}

std::vector<shard_lock_status> shard_lock_book::show(const std::string& task, int64_t now,
                                                     int64_t report_after) const {
  std::vector<shard_lock_status> out;
  for (auto& [name, t] : tasks_) {
    if (!task.empty() && name != task) continue;
    for (auto& [target, l] : t.open) out.push_back(status_of(name, l, now, report_after));
  }
  return out;
}

std::vector<std::string> shard_lock_book::tasks() const {
  std::vector<std::string> out;
  for (auto& [name, t] : tasks_) out.push_back(name);
  return out;
}

std::set<std::string> shard_lock_book::targets(const std::string& task) const {
  std::set<std::string> out;
  auto t = tasks_.find(task);
  if (t == tasks_.end()) return out;
  for (auto& [target, by_source] : t->second.shards) out.insert(target);
  for (auto& [target, l] : t->second.open) out.insert(target);
  for (auto& [target, history] : t->second.resolved) out.insert(target);
  return out;
}

namespace {

nlohmann::json members_json(const std::set<shard_member>& members) {
  auto out = nlohmann::json::array();
  for (auto& m : members) out.push_back(member_json(m));
  return out;
}

std::set<shard_member> members_of(const nlohmann::json& j) {
  std::set<shard_member> out;
  for (auto& m : j) out.insert(member_of(m));
  return out;
}

}  // namespace

std::string shard_lock_book::save(const std::string& task, bool with_shards) const {
  auto lock_json = [](const lock& l) {
    auto arrived = nlohmann::json::array();
    for (auto& [m, position] : l.arrived) arrived.push_back({member_json(m), position});
    nlohmann::json j{{"target", l.target},
                     {"ddl", l.ddl},
                     {"statement", l.statement},
                     {"since", l.since},
                     {"arrived", arrived},
                     {"expected", members_json(l.expected)},
                     {"unknown_sources", l.unknown_sources},
                     {"excused", members_json(l.excused)},
                     {"excused_sources", l.excused_sources},
                     {"executing", l.executing},
                     {"resolution", l.resolution}};
    if (l.has_owner) j["owner"] = member_json(l.owner);
    return j;
  };
  nlohmann::json out{{"open", nlohmann::json::array()}, {"resolved", nlohmann::json::array()}};
  auto t = tasks_.find(task);
  if (t == tasks_.end()) return out.dump();
  for (auto& [target, l] : t->second.open) out["open"].push_back(lock_json(l));
  for (auto& [target, history] : t->second.resolved)
    for (auto& l : history) out["resolved"].push_back(lock_json(l));
  if (with_shards) {
    auto shards = nlohmann::json::array();
    for (auto& [target, by_source] : t->second.shards)
      for (auto& [source, members] : by_source)
        shards.push_back({target, source, members_json(members)});
    out["shards"] = shards;
    out["reported"] = t->second.reported;
    out["removed"] = t->second.removed;
  }
  return out.dump();
}

caf::error shard_lock_book::load(const std::string& task, const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    auto lock_of = [](const nlohmann::json& x) {
      lock l;
      l.target = x.at("target").get<std::string>();
      l.ddl = x.at("ddl").get<std::string>();
      l.statement = x.at("statement").get<std::string>();
      l.since = x.at("since").get<int64_t>();
      for (auto& a : x.at("arrived")) l.arrived[member_of(a.at(0))] = a.at(1).get<std::string>();
      l.expected = members_of(x.at("expected"));
      l.unknown_sources = x.at("unknown_sources").get<std::set<std::string>>();
      l.excused = members_of(x.at("excused"));
      l.excused_sources = x.at("excused_sources").get<std::set<std::string>>();
      l.executing = x.at("executing").get<bool>();
      l.resolution = x.at("resolution").get<std::string>();
      if (x.contains("owner")) {
        l.owner = member_of(x.at("owner"));
        l.has_owner = true;
      }
      return l;
    };
    task_locks t;
    for (auto& x : j.at("open")) {
      auto l = lock_of(x);
      t.open.emplace(l.target, std::move(l));
    }
    for (auto& x : j.at("resolved")) {
      auto l = lock_of(x);
      t.resolved[l.target].push_back(std::move(l));
    }
    if (j.contains("shards")) {
      for (auto& x : j.at("shards"))
        t.shards[x.at(0).get<std::string>()][x.at(1).get<std::string>()] = members_of(x.at(2));
      t.reported = j.at("reported").get<std::set<std::string>>();
      t.removed = j.at("removed").get<std::set<std::string>>();
    }
    tasks_[task] = std::move(t);
    return caf::none;
  } catch (const std::exception& e) {
    return make_error(ec::storage_failed, "the shard DDL locks of task " + task +
                                              " stored here are unreadable (" + e.what() +
                                              "); stop the task with --remove-meta to start over");
  }
}

}  // namespace dm
