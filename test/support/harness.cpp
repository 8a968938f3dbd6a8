#include "test/support/harness.hpp"

#include "common/position.hpp"

#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace dm::test {

namespace {

std::string bin(const std::string& name) { return binary_path(name); }

// The test's own quoting (independent of the product's): a string literal and an identifier.
std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string identifier(const std::string& name) {
  std::string out = "`";
  for (char c : name) out += c == '`' ? std::string{"``"} : std::string{c};
  return out + "`";
}

std::string join_rows(const result_rows& rows, size_t limit) {
  std::string out;
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    out += "  (";
    for (size_t j = 0; j < rows[i].size(); ++j) {
      if (j) out += ", ";
      out += rows[i][j] ? *rows[i][j] : "NULL";
    }
    out += ")\n";
  }
  return out;
}

// SHOW CREATE TABLE of `name` (quoted db.table) on one line, without its AUTO_INCREMENT counter
// (which each server advances on its own).
std::string show_create_table(const mariadb_sandbox& server, const std::string& name) {
  auto rows = server.query("SHOW CREATE TABLE " + name);
  std::string text = rows.empty() || !rows[0][1] ? std::string{} : *rows[0][1];
  static const std::regex counter{" AUTO_INCREMENT=[0-9]+"};
  text = std::regex_replace(text, counter, "");
  for (auto& c : text)
    if (c == '\n') c = ' ';
  return text;
}

}  // namespace

std::string binary_path(const std::string& name) { return build_dir() + "/app/" + name; }

worker_process::worker_process(worker_options options)
    : name_(options.name), dmctl_flags_(options.dmctl_flags), launcher_(options.launcher) {
  dir_ = make_temp_dir("dm-worker");
  data_dir_ = options.data_dir.empty() ? dir_ + "/data" : options.data_dir;
  addr_ = options.host + ":" + std::to_string(free_port());
  std::string toml = "name = \"" + name_ + "\"\nworker-addr = \"" + addr_ + "\"\ndata-dir = \"" +
                     data_dir_ + "\"\nlog-file = \"" + dir_ + "/worker.log\"\nlog-level = \"debug\"\n";
  if (options.metrics) {
    metrics_addr_ = options.host + ":" + std::to_string(free_port());
    toml += "metrics-addr = \"" + metrics_addr_ + "\"\n";
  }
  toml += options.extra_toml;
  write_file("worker.toml", toml);
  start();
}

worker_process::~worker_process() {
  process_.stop(std::chrono::seconds{20});
  if (std::getenv("DM_KEEP_TEST_DIRS") == nullptr) remove_tree(dir_);
}

void worker_process::start() {
  auto argv = launcher_;
  argv.insert(argv.end(), {bin("dm-worker"), "--config", dir_ + "/worker.toml"});
  process_ = child_process{argv, dir_ + "/worker.out"};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.running())
      throw std::runtime_error("dm-worker exited while starting: " + log());
    auto r = dmctl({"--json", "list-member"});
    if (r.exit_code == 0 && r.out.find("\"online\"") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  throw std::runtime_error("dm-worker did not answer dmctl within 30 s");
}

void worker_process::kill() { process_.kill(); }

int worker_process::stop() { return process_.stop(std::chrono::seconds{60}); }

std::string worker_process::log() const {
  std::ifstream in{dir_ + "/worker.log"};
  std::stringstream s;
  s << in.rdbuf();
  std::ifstream out{dir_ + "/worker.out"};
  s << out.rdbuf();
  auto text = s.str();
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

size_t worker_process::count_log_lines(const std::string& needle) const {
  std::ifstream in{dir_ + "/worker.log"};
  size_t count = 0;
  for (std::string line; std::getline(in, line);) count += line.find(needle) != std::string::npos;
  return count;
}

command_result worker_process::dmctl(const std::vector<std::string>& args) const {
  return dmctl_with(dmctl_flags_, args);
}

command_result worker_process::dmctl_with(const std::vector<std::string>& flags,
                                          const std::vector<std::string>& args) const {
  std::vector<std::string> argv{bin("dmctl"), "--worker-addr", addr_};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

command_result worker_process::dmctl_interactive(const std::string& input) const {
  auto file = write_file("dmctl-input.txt", input);
  return run_command({"sh", "-c", "\"$0\" --worker-addr \"$1\" < \"$2\"", bin("dmctl"), addr_, file});
}

nlohmann::json worker_process::dmctl_json(const std::vector<std::string>& args) const {
  std::vector<std::string> full{"--json"};
  full.insert(full.end(), args.begin(), args.end());
  auto r = dmctl(full);
  if (r.exit_code != 0) throw std::runtime_error("dmctl failed: " + r.err);
  return nlohmann::json::parse(r.out);
}

std::string worker_process::write_file(const std::string& name, const std::string& text) const {
  auto path = dir_ + "/" + name;
  std::ofstream out{path};
  out << text;
  return path;
}

std::string source_yaml(const std::string& source_id, const mariadb_sandbox& server,
                        const std::string& extra) {
  // remain-space 0: the tests' machines may have little free disk; purge tests set their own.
  auto text = "source-id: \"" + source_id + "\"\nfrom:\n  host: \"" + server.host() + "\"\n  port: " +
              std::to_string(server.port()) + "\n  user: \"root\"\n  password: \"\"\n" + extra;
  if (extra.find("purge:") == std::string::npos) text += "purge:\n  remain-space: 0\n";
  return text;
}

std::string http_get(const std::string& addr, const std::string& path) {
  auto r = run_command({"curl", "-sS", "--max-time", "10", "http://" + addr + path});
  if (r.exit_code != 0) throw std::runtime_error("GET " + addr + path + " failed: " + r.err);
  return r.out;
}

std::map<std::string, double> scrape_metrics(const worker_process& worker) {
  auto text = http_get(worker.metrics_addr(), "/metrics");
  std::map<std::string, double> samples;
  std::set<std::string> typed;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      typed.insert(name);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    auto name_end = line.find_first_of("{ ");
    if (space == std::string::npos || name_end == std::string::npos)
      throw std::runtime_error("unparsable metrics line: " + line);
    auto name = line.substr(0, name_end);
    auto family = name;
    for (auto suffix : {"_sum", "_count", "_bucket"})
      if (!typed.count(family) && family.size() > std::strlen(suffix) &&
          family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        family.resize(family.size() - std::strlen(suffix));
    if (!typed.count(family)) throw std::runtime_error("metric without # TYPE: " + line);
    size_t used = 0;
    auto value_text = line.substr(space + 1);
    double value = std::stod(value_text, &used);
    if (used != value_text.size()) throw std::runtime_error("unparsable value: " + line);
    samples[line.substr(0, space)] = value;
  }
  return samples;
}

std::string task_yaml(const std::string& name, const std::vector<std::string>& sources,
                      const mariadb_sandbox& target, const std::string& extra) {
  std::string out = "name: \"" + name + "\"\ntask-mode: incremental\ntarget-database:\n" +
                    "  host: \"" + target.host() + "\"\n  port: " + std::to_string(target.port()) +
                    "\n  user: \"root\"\n  password: \"\"\nmysql-instances:\n";
  for (auto& s : sources) out += "  - source-id: \"" + s + "\"\n";
  return out + extra;
}

void create_source_and_start_task(const worker_process& worker, const std::string& source_id,
                                  const mariadb_sandbox& upstream, const std::string& task_text) {
  auto created = worker.dmctl({"operate-source", "create",
                               worker.write_file(source_id + ".yaml", source_yaml(source_id, upstream))});
  if (created.exit_code != 0) throw std::runtime_error("operate-source create: " + created.err);
  auto started = worker.dmctl({"start-task", worker.write_file("task.yaml", task_text)});
  if (started.exit_code != 0) throw std::runtime_error("start-task: " + started.err);
}

void wait_relay_caught_up(const worker_process& worker, const std::string& source,
                          const mariadb_sandbox& upstream,
                          std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto target = master_position(upstream);
    auto r = worker.dmctl({"--json", "operate-source", "show", "-s", source});
    last = r.out + r.err;
    if (r.exit_code == 0) {
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      if (!j.is_discarded() && !j["sources"].empty()) {
        auto& pos = j["sources"][0]["relay"]["relay_binlog"];
        if (!pos.is_null() && pos["file"] == target.first && pos["pos"] == target.second) return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  throw std::runtime_error("relay of " + source + " did not catch up; last status:\n" + last +
                           "\nworker log:\n" + worker.log());
}

bool relay_reached(const worker_process& worker, const std::string& source,
                   const std::pair<std::string, uint32_t>& target, std::string* status) {
  auto r = worker.dmctl({"--json", "operate-source", "show", "-s", source});
  if (status) *status = r.out + r.err;
  if (r.exit_code != 0) return false;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || j["sources"].empty()) return false;
  auto& pos = j["sources"][0]["relay"]["relay_binlog"];
  // Binlog file names of one server sort in their order.
  return !pos.is_null() &&
         std::make_pair(pos["file"].get<std::string>(), pos["pos"].get<uint32_t>()) >= target;
}

void wait_relay_reached(const worker_process& worker, const std::string& source,
                        const std::pair<std::string, uint32_t>& target,
                        std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (relay_reached(worker, source, target, &last)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  throw std::runtime_error("relay of " + source + " did not reach " + target.first + ":" +
                           std::to_string(target.second) + "; last status:\n" + last +
                           "\nworker log:\n" + worker.log());
}

uint64_t binlog_bytes(const mariadb_sandbox& server) {
  uint64_t bytes = 0;
  for (auto& row : server.query("SHOW BINARY LOGS")) bytes += std::stoull(*row[1]);
  return bytes;
}

std::pair<std::string, uint32_t> master_position(const mariadb_sandbox& server) {
  auto rows = server.query("SHOW MASTER STATUS");
  if (rows.empty()) throw std::runtime_error("SHOW MASTER STATUS returned nothing");
  return {*rows[0][0], static_cast<uint32_t>(std::stoul(*rows[0][1]))};
}

void wait_synced(const worker_process& worker, const std::string& task,
                 const mariadb_sandbox& upstream, std::chrono::seconds timeout,
                 const std::string& source) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto target = master_position(upstream);
    auto r = worker.dmctl({"--json", "query-status", task});
    last = r.out + r.err;
    if (r.exit_code == 0) {
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      if (j.is_discarded()) continue;
      bool all = !j["tasks"].empty();
      for (auto& t : j["tasks"])
        for (auto& s : t["sources"]) {
          if (!source.empty() && s["source_id"] != source) continue;
          auto& pos = s["synced_binlog"];
          all = all && s["synced"].get<bool>() && !pos.is_null() &&
                pos["file"].get<std::string>() == target.first &&
                pos["pos"].get<uint32_t>() == target.second;
        }
      if (all) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  throw std::runtime_error("task " + task + " did not catch up with the upstream; last status:\n" +
                           last + "\nworker log tail:\n" + worker.log());
}

nlohmann::json task_source_status(const worker_process& worker, const std::string& task,
                                  const std::string& source) {
  auto j = worker.dmctl_json({"query-status", task});
  for (auto& t : j["tasks"])
    for (auto& s : t["sources"])
      if (source.empty() || s["source_id"] == source) return s;
  throw std::runtime_error("task " + task + " has no source " + source + ": " + j.dump());
}

nlohmann::json wait_task_stage(const worker_process& worker, const std::string& task,
                               const std::string& stage, std::chrono::seconds timeout,
                               const std::string& source) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = task_source_status(worker, task, source);
    if (last["stage"] == stage) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  throw std::runtime_error("task " + task + " did not reach " + stage + "; last status:\n" +
                           last.dump() + "\nworker log tail:\n" + worker.log());
}

std::string compare_database(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
                             const std::string& db) {
  auto list = [&](const mariadb_sandbox& s) {
    std::set<std::string> names;
    for (auto& r : s.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                           "TABLE_SCHEMA = " + literal(db) + " AND TABLE_TYPE = 'BASE TABLE'"))
      names.insert(*r[0]);
    return names;
  };
  auto up_tables = list(upstream), down_tables = list(downstream);
  std::string report;
  // The database's default character set and collation.
  auto db_defaults = [&](const mariadb_sandbox& s) {
    auto rows = s.query("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
                        "information_schema.SCHEMATA WHERE SCHEMA_NAME = " + literal(db));
    return rows.empty() ? std::string{"(no database)"} : *rows[0][0] + "/" + *rows[0][1];
  };
  auto up_defaults = db_defaults(upstream), down_defaults = db_defaults(downstream);
  if (up_defaults != down_defaults)
    report += "database " + identifier(db) + " defaults differ: upstream " + up_defaults +
              ", downstream " + down_defaults + "\n";
  if (up_tables != down_tables) {
    report += "table lists differ: upstream has";
    for (auto& t : up_tables) report += " " + t;
    report += "; downstream has";
    for (auto& t : down_tables) report += " " + t;
    report += "\n";
  }
  // Every index: name, uniqueness, and its columns in order with their prefix lengths.
  auto indexes = [&](const mariadb_sandbox& s, const std::string& t) {
    std::set<std::string> out;
    for (auto& r : s.query("SELECT INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(CONCAT(COLUMN_NAME, "
                           "IFNULL(CONCAT('(', SUB_PART, ')'), '')) ORDER BY SEQ_IN_INDEX) FROM "
                           "information_schema.STATISTICS WHERE TABLE_SCHEMA = " + literal(db) +
                           " AND TABLE_NAME = " + literal(t) + " GROUP BY INDEX_NAME, NON_UNIQUE"))
      out.insert(*r[0] + (*r[1] == "0" ? " unique (" : " (") + *r[2] + ")");
    return out;
  };
  for (auto& t : up_tables) {
    if (!down_tables.count(t)) continue;
    auto name = identifier(db) + "." + identifier(t);
    auto up_indexes = indexes(upstream, t), down_indexes = indexes(downstream, t);
    if (up_indexes != down_indexes) {
      report += "indexes of " + name + " differ: upstream has";
      for (auto& i : up_indexes) report += " " + i;
      report += "; downstream has";
      for (auto& i : down_indexes) report += " " + i;
      report += "\n";
    }
    auto up_create = show_create_table(upstream, name), down_create = show_create_table(downstream, name);
    if (up_create != down_create)
      report += "SHOW CREATE TABLE " + name + " differs:\n upstream:   " + up_create +
                "\n downstream: " + down_create + "\n";
    auto a = upstream.query("CHECKSUM TABLE " + name);
    auto b = downstream.query("CHECKSUM TABLE " + name);
    if (a[0][1] == b[0][1]) continue;
    // Show the rows only one side has.
    auto cols = upstream.query("SELECT GROUP_CONCAT(CONCAT('`', REPLACE(COLUMN_NAME, '`', '``'), "
                               "'`') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS "
                               "WHERE TABLE_SCHEMA = " + literal(db) + " AND TABLE_NAME = " +
                               literal(t));
    auto order = *cols[0][0];
    auto rows_a = upstream.query("SELECT * FROM " + name + " ORDER BY " + order);
    auto rows_b = downstream.query("SELECT * FROM " + name + " ORDER BY " + order);
    std::multiset<result_row> set_a(rows_a.begin(), rows_a.end()),
        set_b(rows_b.begin(), rows_b.end());
    result_rows only_a, only_b;
    for (auto& r : rows_a)
      if (!set_b.count(r)) only_a.push_back(r);
    for (auto& r : rows_b)
      if (!set_a.count(r)) only_b.push_back(r);
    report += "table " + name + " differs: " + std::to_string(rows_a.size()) + " rows upstream, " +
              std::to_string(rows_b.size()) + " downstream; " + std::to_string(only_a.size()) +
              " only upstream, " + std::to_string(only_b.size()) + " only downstream\n";
    // Rows that differ in some columns (paired by their first column): name those columns.
    auto names = upstream.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                                "TABLE_SCHEMA = " + literal(db) + " AND TABLE_NAME = " +
                                literal(t) + " ORDER BY ORDINAL_POSITION");
    std::map<std::optional<std::string>, const result_row*> by_first;
    for (auto& r : only_b)
      if (!r.empty()) by_first[r[0]] = &r;
    size_t shown = 0;
    auto brief = [](const std::optional<std::string>& v) {
      return v ? "'" + v->substr(0, 60) + "'" : std::string{"NULL"};
    };
    for (auto& r : only_a) {
      auto it = r.empty() ? by_first.end() : by_first.find(r[0]);
      if (it == by_first.end() || shown == 5) continue;
      ++shown;
      report += " row " + brief(r[0]) + " differs in";
      for (size_t i = 0; i < r.size() && i < it->second->size(); ++i)
        if (r[i] != (*it->second)[i])
          report += " " + (i < names.size() && names[i][0] ? *names[i][0] : std::to_string(i)) +
                    " (up " + brief(r[i]) + ", down " + brief((*it->second)[i]) + ")";
      report += "\n";
    }
    if (shown == 0) {
      report += " first rows only upstream:\n" + join_rows(only_a, 5);
      report += " first rows only downstream:\n" + join_rows(only_b, 5);
    }
  }
  return report;
}

uint64_t row_count(const mariadb_sandbox& server, const std::string& table) {
  return std::stoull(*server.query("SELECT COUNT(*) FROM " + table)[0][0]);
}

}  // namespace dm::test

namespace dm::test {

namespace {

// A printout reduced to what the comparison needs: a digest per line ("# at N" lines carry the
// file name), and the "# at" lines themselves to say where a difference is.
struct printout {
  // Digests of the "###" lines.
  std::vector<uint64_t> digests;
  // "file # at N" of each event, and the number of "###" lines before it.
  std::vector<std::pair<size_t, std::string>> events;
};

// mariadb-binlog spells integers "-1 (255)" where dm-binlog prints the unsigned 255 for
// unsigned columns: both sides are reduced to the unsigned reading.
std::string normalized(const std::string& line) {
  auto eq = line.find('=');
  if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '-' ||
      line.back() != ')')
    return line;
  auto open = line.find(" (", eq);
  if (open == std::string::npos) return line;
  return line.substr(0, eq + 1) + line.substr(open + 2, line.size() - open - 3);
}

// Adds the lines of a printout file; dm-binlog's "# file NAME ..." lines name the file, else
// `file` does.
void collect(const std::string& path, std::string file, printout& out,
             const std::string& skip_event = "") {
  std::ifstream in{path};
  std::hash<std::string> hash;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# file ", 0) == 0) {
      file = line.substr(7, line.find(' ', 7) - 7);
    } else if (line.rfind("# at ", 0) == 0) {
      auto where = file + " " + line;
      if (where == skip_event) continue;
      out.events.emplace_back(out.digests.size(), where);
    } else if (line.rfind("###", 0) == 0) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out.digests.push_back(hash(normalized(line)));
    }
  }
}

// The event a line index belongs to.
std::string event_of(const printout& p, size_t line) {
  std::string where = "(before the first event)";
  for (auto& [index, text] : p.events) {
    if (index > line) break;
    where = text;
  }
  return where;
}

}  // namespace

std::string compare_relay_with_upstream(const worker_process& worker, const std::string& source,
                                        const mariadb_sandbox& upstream,
                                        const std::string& start_file, uint32_t start_pos,
                                        size_t* events) {
  printout theirs, ours;
  auto out = make_temp_dir("dm-compare");
  std::string err;
  for (auto& row : upstream.query("SHOW BINARY LOGS")) {
    auto file = *row[0];
    if (binlog_file_index(file) < binlog_file_index(start_file)) continue;
    std::vector<std::string> argv{"mariadb-binlog", "--no-defaults", "--verbose",
                                  "--base64-output=decode-rows"};
    if (file == start_file) argv.push_back("--start-position=" + std::to_string(start_pos));
    argv.push_back(upstream.dir() + "/data/" + file);
    if (run_command_to_file(argv, out + "/theirs", err) != 0) {
      remove_tree(out);
      return "mariadb-binlog failed on " + file + ": " + err;
    }
    collect(out + "/theirs", file, theirs);
  }
  // From a later start position mariadb-binlog reads the format description at 4 without
  // printing an "# at 4" line for it; the relay stores it at 4.
  auto skip = start_pos > 4 ? start_file + " # at 4" : std::string{};
  if (run_command_to_file({build_dir() + "/app/dm-binlog", "--verbose", "--data-dir",
                           worker.data_dir(), "--source", source},
                          out + "/ours", err) != 0) {
    remove_tree(out);
    return "dm-binlog failed: " + err;
  }
  collect(out + "/ours", "", ours, skip);
  remove_tree(out);
  if (events) *events = ours.events.size();
  // Event for event: the same offsets in the same files. (mariadb-binlog prints the "# at"
  // lines of a statement's events ahead of their rows, so rows are compared on their own.)
  auto m = std::min(theirs.events.size(), ours.events.size());
  for (size_t i = 0; i < m; ++i)
    if (theirs.events[i].second != ours.events[i].second)
      return "event " + std::to_string(i) + " differs: upstream " + theirs.events[i].second +
             ", relay " + ours.events[i].second;
  if (theirs.events.size() != ours.events.size())
    return "the upstream has " + std::to_string(theirs.events.size()) + " events, the relay " +
           std::to_string(ours.events.size());
  auto n = std::min(theirs.digests.size(), ours.digests.size());
  for (size_t i = 0; i < n; ++i)
    if (theirs.digests[i] != ours.digests[i])
      return "line " + std::to_string(i) + " differs: upstream event " + event_of(theirs, i) +
             ", relay event " + event_of(ours, i);
  if (theirs.digests.size() != ours.digests.size())
    return "the upstream printout has " + std::to_string(theirs.digests.size()) +
           " lines, the relay's " + std::to_string(ours.digests.size()) + " (" +
           std::to_string(theirs.events.size()) + " against " +
           std::to_string(ours.events.size()) + " events); they part after event " +
           event_of(theirs, n ? n - 1 : 0);
  return {};
}

}  // namespace dm::test
