#include "app/dmctl/render.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>

namespace dm::dmctl {

namespace {

// A position as the documented schema spells it: {"file": "", "pos": 0} when there is none.
nlohmann::json position_json(const binlog_position& p) {
  return {{"file", p.file}, {"pos", p.pos}};
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

nlohmann::json migration_json(const migration_progress& m) {
  return {{"tables_total", m.tables_total},   {"tables_loaded", m.tables_loaded},
          {"chunks_total", m.chunks_total},   {"chunks_dumped", m.chunks_dumped},
          {"chunks_loaded", m.chunks_loaded}, {"rows_total", m.rows_total},
          {"rows_dumped", m.rows_dumped},     {"rows_loaded", m.rows_loaded},
          {"bytes_dumped", m.bytes_dumped},   {"bytes_loaded", m.bytes_loaded},
          {"rows_per_second", m.rows_per_second}, {"eta_seconds", m.eta_seconds}};
}

nlohmann::json subtask_json(const subtask_status& s) {
  return {{"source_id", s.source_id},
          {"worker", s.worker},
          {"stage", to_string(s.stage)},
          {"unit", to_string(s.unit)},
          {"synced_binlog", position_json(s.synced)},
          {"synced_gtid", s.synced_gtid},
          {"relay_binlog", position_json(s.relay)},
          {"synced", s.synced_upstream},
          {"lag_seconds", s.lag_seconds},
          {"events_applied", s.events_applied},
          {"rows_applied", s.rows_applied},
          {"rows_per_second", s.rows_per_second},
          {"safe_mode", s.safe_mode},
          {"restarts", s.restarts},
          {"last_error", s.last_error},
          {"error_binlog", position_json(s.error_position)},
          {"bytes_in_flight", s.bytes_in_flight},
          {"warnings", s.warnings},
          {"migration", migration_json(s.migration)}};
}

// A text progress bar: "[#########-----------]  45%".
std::string progress_bar(uint64_t done, uint64_t total) {
  constexpr int width = 30;
  double fraction = total ? std::min(1.0, static_cast<double>(done) / total) : 0.0;
  int filled = static_cast<int>(fraction * width);
  char percent[16];
  std::snprintf(percent, sizeof percent, "%3.0f%%", fraction * 100);
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "] " + percent;
}

}  // namespace

nlohmann::json to_json(const source_status& x) {
  const auto& r = x.relay;
  return {{"source_id", x.source_id},
          {"worker", x.worker},
          {"upstream", x.upstream},
          {"relay",
           {{"stage", to_string(r.stage)},
            {"upstream_binlog", position_json(r.upstream)},
            {"relay_binlog", position_json(r.relay)},
            {"relay_gtid", r.relay_gtid},
            {"events_stored", r.events_stored},
            {"bytes_stored", r.bytes_stored},
            {"lag_seconds", r.lag_seconds},
            {"reconnects", r.reconnects},
            {"files_stored", r.files_stored},
            {"last_purge", r.last_purge},
            {"last_error", r.last_error}}}};
}

nlohmann::json to_json(const task_status& x) {
  auto subtasks = nlohmann::json::array();
  for (auto& s : x.subtasks) subtasks.push_back(subtask_json(s));
  auto locks = nlohmann::json::array();
  for (auto& l : x.shard_locks) locks.push_back(to_json(l));
  return {{"name", x.name},
          {"stage", to_string(x.stage)},
          {"task_mode", to_string(x.task_mode)},
          {"sources", subtasks},
          {"shard_ddl_locks", locks}};
}

nlohmann::json to_json(const shard_lock_status& x) {
  return {{"ID", x.id},          {"task", x.task},         {"mode", x.mode},
          {"target", x.target},  {"owner", x.owner},       {"DDLs", x.ddls},
          {"synced", x.synced},  {"unsynced", x.unsynced}, {"since", x.since},
          {"state", x.state},    {"overdue", x.overdue}};
}

std::string to_text(const shard_lock_status& x) {
  std::ostringstream out;
  auto waited = std::max<int64_t>(0, std::time(nullptr) - x.since);
  out << "DDL lock " << x.id << ": " << x.state << " for " << waited << " s"
      << (x.overdue ? " (overdue)" : "") << "\n";
  for (auto& ddl : x.ddls) out << "  change: " << ddl << "\n";
  if (!x.owner.empty()) out << "  owner:  " << x.owner << "\n";
  for (auto& s : x.synced) out << "  done:   " << s << "\n";
  for (auto& s : x.unsynced) out << "  awaits: " << s << "\n";
  return out.str();
}

nlohmann::json to_json(const status_reply& x) {
  auto tasks = nlohmann::json::array();
  for (auto& t : x.tasks) tasks.push_back(to_json(t));
  auto sources = nlohmann::json::array();
  for (auto& s : x.sources) sources.push_back(to_json(s));
  return {{"result", true}, {"tasks", tasks}, {"sources", sources}};
}

nlohmann::json to_json(const member_info& x) {
  return {{"name", x.name},
          {"addr", x.addr},
          {"state", x.state},
          {"sources", x.sources},
          {"tasks", x.tasks}};
}

std::string to_text(const source_status& x) {
  const auto& r = x.relay;
  std::ostringstream out;
  out << "source " << x.source_id << " on worker " << x.worker << " (upstream " << x.upstream
      << "): relay " << to_string(r.stage) << "\n";
  out << "  upstream " << to_string(r.upstream) << "   relay " << to_string(r.relay);
  if (!r.relay_gtid.empty()) out << "   gtid " << r.relay_gtid;
  out << "\n  stored " << r.events_stored << " events, " << human_bytes(r.bytes_stored) << " in "
      << r.files_stored << " file(s)   lag " << r.lag_seconds << " s   reconnects "
      << r.reconnects << "\n";
  if (!r.last_purge.empty()) out << "  last purge: " << r.last_purge << "\n";
  if (!r.last_error.empty()) out << "  last error: " << r.last_error << "\n";
  return out.str();
}

std::string to_text(const task_status& x) {
  std::ostringstream out;
  out << "task " << x.name << ": " << to_string(x.stage) << " (" << to_string(x.task_mode)
      << ")\n";
  for (auto& s : x.subtasks) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", s.rows_per_second);
    out << "  source " << s.source_id << " on worker " << s.worker << ": " << to_string(s.stage)
        << ", unit " << to_string(s.unit) << "\n";
    const auto& m = s.migration;
    if (x.task_mode != task_mode::incremental && m.chunks_total > 0) {
      char line[160];
      std::snprintf(line, sizeof line,
                    "    load %s  tables %u/%u  chunks %u dumped %u loaded of %u  rows %llu/%llu",
                    progress_bar(m.rows_loaded, m.rows_total).c_str(), m.tables_loaded,
                    m.tables_total, m.chunks_dumped, m.chunks_loaded, m.chunks_total,
                    static_cast<unsigned long long>(m.rows_loaded),
                    static_cast<unsigned long long>(m.rows_total));
      out << line;
      if (s.unit == task_unit::dump || s.unit == task_unit::load) {
        std::snprintf(rate, sizeof rate, "%.0f", m.rows_per_second);
        out << "  " << rate << " rows/s  ETA "
            << (m.eta_seconds >= 0 ? std::to_string(m.eta_seconds) + " s" : "unknown");
      }
      out << "\n";
    }
    out << "    synced " << to_string(s.synced);
    if (!s.synced_gtid.empty()) out << "   gtid " << s.synced_gtid;
    out << "\n    relay  " << to_string(s.relay) << "\n";
    out << "    caught up: " << (s.synced_upstream ? "yes" : "no") << "   lag " << s.lag_seconds
        << " s   rows " << s.rows_applied << " (" << rate << "/s)   safe mode "
        << (s.safe_mode ? "on" : "off") << "   restarts " << s.restarts << "\n";
    if (!s.last_error.empty()) out << "    last error: " << s.last_error << "\n";
    if (!s.error_position.empty())
      out << "    stopped on the event at " << to_string(s.error_position)
          << " (dmctl handle-error " << x.name << " skip|replace \"SQL\")\n";
    for (auto& w : s.warnings) out << "    warning: " << w << "\n";
  }
  for (auto& l : x.shard_locks) out << "  " << to_text(l);
  return out.str();
}

std::string to_text(const status_reply& x) {
  std::string out;
  if (x.tasks.empty()) out += "no tasks\n";
  for (auto& t : x.tasks) out += to_text(t);
  for (auto& s : x.sources) out += to_text(s);
  return out;
}

nlohmann::json to_json(const purge_result& x) {
  return {{"source_id", x.source_id}, {"purged", x.purged}, {"kept", x.kept}};
}

std::string to_text(const purge_result& x) {
  std::string out = "source " + x.source_id + ": purged " +
                    (x.purged.empty() ? std::string{"nothing"} : std::to_string(x.purged.size()) +
                                                                     " relay file(s)");
  for (auto& f : x.purged) out += "\n  " + f;
  if (!x.kept.empty()) out += "\nkept:";
  for (auto& f : x.kept) out += "\n  " + f;
  return out + "\n";
}

nlohmann::json to_json(const std::vector<check_item>& x) {
  auto checks = nlohmann::json::array();
  bool passed = true;
  for (auto& item : x) {
    passed &= item.state != "fail";
    checks.push_back({{"source_id", item.source_id},
                      {"item", item.name},
                      {"state", item.state},
                      {"message", item.message}});
  }
  return {{"result", passed}, {"checks", checks}};
}

std::string to_text(const std::vector<check_item>& x) {
  std::string out;
  size_t failed = 0, warned = 0;
  for (auto& item : x) {
    failed += item.state == "fail";
    warned += item.state == "warn";
    auto mark = item.state == "fail" ? "FAIL" : item.state;
    out += std::string{mark} + std::string(5 - std::string{mark}.size(), ' ') + item.name +
           " (source " + item.source_id + "): " + item.message + "\n";
  }
  out += failed == 0 ? "precheck passed" : "precheck failed: " + std::to_string(failed) +
                                               " item(s) failed";
  if (warned > 0) out += ", " + std::to_string(warned) + " warning(s)";
  return out + "\n";
}

std::string to_text(const member_info& x) {
  std::ostringstream out;
  out << "worker " << x.name << " at " << x.addr << ": " << x.state << "\n";
  out << "  sources:";
  for (auto& s : x.sources) out << " " << s;
  if (x.sources.empty()) out << " none";
  out << "\n  tasks:";
  for (auto& t : x.tasks) out << " " << t;
  if (x.tasks.empty()) out << " none";
  out << "\n";
  return out.str();
}

status_reply merge(const std::vector<status_reply>& replies) {
  status_reply out;
  std::map<std::string, size_t> index;
  for (auto& r : replies) {
    for (auto& t : r.tasks) {
      auto it = index.find(t.name);
      if (it == index.end()) {
        index[t.name] = out.tasks.size();
        out.tasks.push_back(t);
        continue;
      }
      auto& merged = out.tasks[it->second];
      merged.subtasks.insert(merged.subtasks.end(), t.subtasks.begin(), t.subtasks.end());
      if (t.stage != task_stage::running) merged.stage = t.stage;
    }
    out.sources.insert(out.sources.end(), r.sources.begin(), r.sources.end());
  }
  return out;
}

}  // namespace dm::dmctl
