// Randomized end-to-end test: a random schema (case-only database and table name pairs, every
// column type, every kind of key, foreign key chains with CASCADE / SET NULL / RESTRICT) with a
// few thousand rows is copied and then followed by an all-mode task while one writer keeps
// changing rows (and, once the task syncs, the schema, partly under non-default session
// settings), and the worker is paused/resumed and SIGKILLed at random moments, the first time
// during the copy. The task sets DM's target-database.session, including a sql_mode the worker
// must leave out. When the writer stops and the task caught up, the task must be running and
// every database identical on both sides (compare_database), with rows in them.
//
// Schema changes wait until the task syncs: the README does not support DDL on the dumped
// tables during a dump (DM_RANDOM_DDL_DURING_COPY=1 lets them run from the start anyway).
//
// Short mode (CI, the default): one round writing for 55 s (about 65 s in all). Environment knobs:
//   DM_RANDOM_SEED=N           replay the round of seed N (printed by every round)
//   DM_RANDOM_SECONDS=S        run rounds with new seeds until S seconds passed (3600: a soak);
//                              each round writes for 30-150 s (derived from its seed)
//   DM_RANDOM_WRITE_SECONDS=S  write for S seconds per round
//   DM_KEEP_TEST_DIRS=1        keep the worker's directory (log, data); a failed round also
//                              gets the upstream's binlogs and the DDL it ran copied there
//   DM_RANDOM_HOLD=S           keep the servers of a failed round running S s for inspection
#define BOOST_TEST_MODULE random_workload
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/random_workload.hpp"

using namespace dm::test;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string task_name = "rand";

template <typename... Parts>
void say(const Parts&... parts) {
  std::cout << "random_workload: ";
  (std::cout << ... << parts) << std::endl;
}

std::optional<uint64_t> env_u64(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}

std::string all_task_yaml(const mariadb_sandbox& downstream) {
  auto text = task_yaml(task_name, {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n"
                        "    loader-config-name: \"l\"\n"
                        "    syncer-config-name: \"s\"\n"
                        "mydumpers:\n  d:\n    threads: 2\n    rows: 500\n"
                        "loaders:\n  l:\n    pool-size: 2\n"
                        "syncers:\n  s:\n    worker-count: 4\n    batch: 50\n");
  auto at = text.find("task-mode: incremental");
  if (at == std::string::npos) throw std::logic_error("task_yaml has no task-mode line");
  text.replace(at, std::string{"task-mode: incremental"}.size(), "task-mode: all");
  // DM's session variables: ones the worker owns (sql_mode here: these two modes would change
  // how every statement it writes reads) are dropped with a warning, the others are set.
  at = text.find("  password: \"\"\n");
  if (at == std::string::npos) throw std::logic_error("task_yaml has no password line");
  return text.insert(at + std::string{"  password: \"\"\n"}.size(),
                     "  session:\n    sql_mode: \"ANSI_QUOTES,NO_BACKSLASH_ESCAPES\"\n"
                     "    innodb_lock_wait_timeout: 30\n    group_concat_max_len: 65536\n");
}

// The task's (only) source status, or nothing while dmctl cannot get it (a restarting worker).
std::optional<nlohmann::json> try_status(const worker_process& worker) {
  auto r = worker.dmctl({"--json", "query-status", task_name});
  if (r.exit_code != 0) return std::nullopt;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("tasks") || j["tasks"].empty() ||
      j["tasks"][0]["sources"].empty())
    return std::nullopt;
  return j["tasks"][0]["sources"][0];
}

// Runs the workload against the upstream until stopped: row changes in batches, and a schema
// change now and then once allowed. Reconnects when the connection is lost; any other failure
// ends it and is kept in error().
class writer {
 public:
  writer(const mariadb_sandbox& upstream, random_workload& workload, uint64_t seed)
      : upstream_(upstream), workload_(workload), rng_(seed ^ 0x5eed5eedULL) {
    thread_ = std::thread{[this] { loop(); }};
  }
  ~writer() { stop(); }

  void allow_ddl() { ddl_allowed_ = true; }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string error() const { return error_; }
  size_t reconnects() const { return reconnects_; }
  std::vector<std::string> ddl_log() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return ddl_log_;
  }

 private:
  int64_t range(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  void loop() {
    while (!stop_) {
      try {
        auto conn = upstream_.connect();
        while (!stop_) {
          workload_.run_dml(conn, static_cast<size_t>(range(10, 30)));
          if (ddl_allowed_ && range(0, 99) < 6) {
            auto what = workload_.run_ddl(conn);
            say("ddl ", ddl_log().size() + 1, ": ", what);
            std::lock_guard<std::mutex> lock{mutex_};
            ddl_log_.push_back(what);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds{range(20, 60)});
        }
      } catch (const connection_lost& e) {
        ++reconnects_;
        say("writer lost its connection, reconnecting: ", e.what());
        std::this_thread::sleep_for(200ms);
      } catch (const std::exception& e) {
        error_ = e.what();
        return;
      }
    }
  }

  const mariadb_sandbox& upstream_;
  random_workload& workload_;
  std::mt19937_64 rng_;
  std::atomic<bool> stop_{false}, ddl_allowed_{false};
  std::atomic<size_t> reconnects_{0};
  std::string error_;
  mutable std::mutex mutex_;
  std::vector<std::string> ddl_log_;
  std::thread thread_;
};

// True when the worker's process has exited (an unreaped zombie included).
bool exited(const worker_process& worker) {
  if (worker.pid() <= 0) return true;
  std::ifstream in{"/proc/" + std::to_string(worker.pid()) + "/stat"};
  std::string stat;
  if (!std::getline(in, stat)) return true;
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z';
}

// When the worker exited by itself (nobody killed it), records how and starts it again, so that
// the round can still see whether the data converges. Returns whether it had exited.
bool revive_if_exited(worker_process& worker, std::vector<std::string>& deaths,
                      const std::string& when) {
  if (!exited(worker)) return false;
  auto status = worker.stop();
  std::ifstream in{worker.dir() + "/worker.out"};
  std::string out{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  deaths.push_back("the worker exited by itself (status " + std::to_string(status) + ") " + when +
                   "; worker.out ends: " + out.substr(out.size() > 600 ? out.size() - 600 : 0));
  say(deaths.back());
  worker.start();
  return true;
}

// Waits until the task caught up with the upstream's current position, or paused; returns
// whether it caught up, and its last status. A worker that exits meanwhile is started again
// (and recorded in `deaths`).
std::pair<bool, nlohmann::json> wait_synced_or_paused(worker_process& worker,
                                                      const mariadb_sandbox& upstream,
                                                      std::chrono::seconds timeout,
                                                      std::vector<std::string>& deaths) {
  auto deadline = clock_type::now() + timeout;
  nlohmann::json last;
  while (clock_type::now() < deadline) {
    revive_if_exited(worker, deaths, "while catching up");
    auto target = master_position(upstream);
    if (auto s = try_status(worker)) {
      last = *s;
      if (last["stage"] == "Paused") return {false, last};
      auto& pos = last["synced_binlog"];
      if (last["synced"] == true && pos.is_object() && pos["file"] == target.first &&
          pos["pos"] == target.second)
        return {true, last};
    }
    std::this_thread::sleep_for(300ms);
  }
  return {false, last};
}

// Lines of `file` in the worker's directory that contain `needle`.
std::vector<std::string> lines_with(const worker_process& worker, const std::string& file,
                                    const std::regex& needle) {
  std::ifstream in{worker.dir() + "/" + file};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, needle)) lines.push_back(line.substr(0, 600));
  return lines;
}

// Actors that died of an exception (dm-worker's stderr).
std::vector<std::string> unhandled_exceptions(const worker_process& worker) {
  return lines_with(worker, "worker.out", std::regex{"unhandled exception"});
}

// Lines of the worker's log that say something went wrong (at most `limit`, the last ones).
std::string error_lines(const worker_process& worker, size_t limit = 30) {
  static const std::regex bad{"error|ERROR|warn|WARN|refused|failed|paus", std::regex::optimize};
  auto lines = lines_with(worker, "worker.log", bad);
  for (auto& line : unhandled_exceptions(worker)) lines.push_back("worker.out: " + line);
  std::string out;
  for (size_t i = lines.size() > limit ? lines.size() - limit : 0; i < lines.size(); ++i)
    out += "  " + lines[i] + "\n";
  return out;
}

// For a post-mortem of a failed round: the upstream's binlogs and the DDL log next to the
// worker's log (kept only with DM_KEEP_TEST_DIRS).
void keep_evidence(const worker_process& worker, const mariadb_sandbox& upstream,
                   const mariadb_sandbox& downstream, const std::vector<std::string>& ddl_log) {
  if (!std::getenv("DM_KEEP_TEST_DIRS")) return;
  namespace fs = std::filesystem;
  auto into = fs::path{worker.dir()} / "upstream-binlog";
  std::error_code ec;
  fs::create_directories(into, ec);
  for (auto& entry : fs::directory_iterator{upstream.dir() + "/data", ec})
    if (entry.path().filename().string().rfind("binlog.", 0) == 0)
      fs::copy_file(entry.path(), into / entry.path().filename(),
                    fs::copy_options::overwrite_existing, ec);
  fs::copy_file(upstream.dir() + "/mariadbd.log", fs::path{worker.dir()} / "upstream-mariadbd.log",
                fs::copy_options::overwrite_existing, ec);
  fs::copy_file(downstream.dir() + "/mariadbd.log",
                fs::path{worker.dir()} / "downstream-mariadbd.log",
                fs::copy_options::overwrite_existing, ec);
  std::ofstream out{worker.dir() + "/ddl.log"};
  for (auto& line : ddl_log) out << line << "\n";
  say("evidence kept in ", worker.dir(),
      " (worker.log, upstream-binlog/, ddl.log, the servers' mariadbd.log)");
}

struct fault_counts {
  size_t pauses = 0, kills = 0, during_copy = 0;
  size_t total() const { return pauses + kills; }
};

// Pauses and resumes the task, or SIGKILLs and restarts the worker; returns its description.
std::string inject_fault(worker_process& worker, std::mt19937_64& rng, fault_counts& faults,
                         const std::string& unit) {
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); };
  bool copying = unit == "Dump" || unit == "Load";
  faults.during_copy += copying;
  if (between(0, 1) == 0) {
    auto paused = worker.dmctl({"pause-task", task_name});
    BOOST_CHECK_MESSAGE(paused.exit_code == 0, "pause-task failed: " << paused.err << paused.out);
    auto ms = between(300, 4000);
    std::this_thread::sleep_for(std::chrono::milliseconds{ms});
    auto resumed = worker.dmctl({"resume-task", task_name});
    BOOST_CHECK_MESSAGE(resumed.exit_code == 0,
                        "resume-task failed: " << resumed.err << resumed.out);
    ++faults.pauses;
    return "pause-task, " + std::to_string(ms) + " ms, resume-task during " + unit;
  }
  worker.kill();
  auto ms = between(0, 2000);
  std::this_thread::sleep_for(std::chrono::milliseconds{ms});
  worker.start();
  ++faults.kills;
  return "SIGKILL, " + std::to_string(ms) + " ms down, restart during " + unit;
}

// compare_database shows rows as text, in which values can look alike that are not (a FLOAT
// printed with six digits, a negative zero): for a table whose CHECKSUM differs without a row
// that differs as text, names the columns whose exact values differ, with some of them.
std::string exact_column_differences(const mariadb_sandbox& upstream,
                                     const mariadb_sandbox& downstream, const std::string& db,
                                     const std::string& table) {
  auto name = "`" + db + "`.`" + table + "`";
  std::string out;
  for (auto& col :
       upstream.query("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                      "WHERE TABLE_SCHEMA = '" +
                      db + "' AND TABLE_NAME = '" + table + "' ORDER BY ORDINAL_POSITION")) {
    auto c = "`" + *col[0] + "`";
    bool floating = *col[1] == "float" || *col[1] == "double";
    // A negative zero prints as 0; ATAN2 tells it by its sign.
    auto exact = floating ? "CONCAT(CAST(" + c + " AS DOUBLE), IF(" + c + " = 0 AND ATAN2(" + c +
                                ", -1) < 0, ' (negative zero)', ''))"
                          : "HEX(" + c + ")";
    auto values = [&](const mariadb_sandbox& server) {
      std::multiset<std::string> v;
      for (auto& r : server.query("SELECT " + exact + " FROM " + name))
        v.insert(r[0].value_or("NULL"));
      return v;
    };
    auto a = values(upstream), b = values(downstream);
    if (a == b) continue;
    std::vector<std::string> only_a, only_b;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
    out += " column " + c + " (" + *col[1] + ") differs in " + std::to_string(only_a.size()) +
           " value(s); upstream has";
    for (size_t i = 0; i < only_a.size() && i < 5; ++i) out += " " + only_a[i].substr(0, 80);
    out += "; downstream has";
    for (size_t i = 0; i < only_b.size() && i < 5; ++i) out += " " + only_b[i].substr(0, 80);
    out += "\n";
  }
  return out;
}

// The tables for which compare_database's report shows a checksum difference without a row
// that differs as text.
std::vector<std::string> invisible_differences(const std::string& report, const std::string& db) {
  std::vector<std::string> tables;
  std::regex line{"table `" + std::regex_replace(db, std::regex{"[^A-Za-z0-9_]"}, ".") +
                  "`\\.`([^`]+)` differs: [0-9]+ rows upstream, [0-9]+ downstream; 0 only "
                  "upstream, 0 only downstream"};
  for (std::sregex_iterator it{report.begin(), report.end(), line}, end; it != end; ++it)
    tables.push_back((*it)[1]);
  return tables;
}

// Tables of `db` and their rows on `server`.
std::pair<size_t, uint64_t> tables_and_rows(const mariadb_sandbox& server, const std::string& db) {
  size_t tables = 0;
  uint64_t rows = 0;
  for (auto& r : server.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                              "TABLE_SCHEMA = '" +
                              db + "' AND TABLE_TYPE = 'BASE TABLE'")) {
    ++tables;
    rows += row_count(server, "`" + db + "`.`" + *r[0] + "`");
  }
  return {tables, rows};
}

void print_refusals(const random_workload_counts& c) {
  for (auto& [code, n] : c.refusals) {
    auto example = c.refusal_examples.at(code);
    say("  refused [", code, "] x", n, ", e.g. ", example.substr(0, 400));
  }
}

std::string server_log_tail(const mariadb_sandbox& server, size_t bytes = 3000) {
  std::ifstream in{server.dir() + "/mariadbd.log"};
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

bool run_round_on(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
                  worker_process& worker, uint64_t seed, std::chrono::seconds write_for,
                  size_t initial_rows);

// One round: fresh servers and worker, the workload of `seed`, faults while it writes for
// `write_for`, then the checks; true when it failed. A round that throws fails with the
// servers' log tails.
bool run_round(uint64_t seed, std::chrono::seconds write_for, size_t initial_rows) {
  say("seed ", seed, " (replay: DM_RANDOM_SEED=", seed,
      " DM_RANDOM_WRITE_SECONDS=", write_for.count(), ")");
  BOOST_TEST_MESSAGE("random_workload seed " << seed);
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  say("worker dir ", worker.dir());
  try {
    return run_round_on(upstream, downstream, worker, seed, write_for, initial_rows);
  } catch (const std::exception& e) {
    BOOST_ERROR("seed " << seed << ": the round failed: " << e.what()
                        << "\nupstream server log tail:\n"
                        << server_log_tail(upstream) << "\ndownstream server log tail:\n"
                        << server_log_tail(downstream) << "\nworker log:\n"
                        << error_lines(worker));
    keep_evidence(worker, upstream, downstream, {});
    return true;
  }
}

bool run_round_on(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
                  worker_process& worker, uint64_t seed, std::chrono::seconds write_for,
                  size_t initial_rows) {
  std::mt19937_64 rng{seed * 0x9E3779B97F4A7C15ULL + 1};
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); };
  random_workload workload{seed};
  {
    auto conn = upstream.connect();
    workload.create_schema(conn);
    workload.populate(conn, initial_rows);
  }
  say("schema: ", workload.tables().size(), " tables in ", workload.databases().size(),
      " databases; ", initial_rows, " rows planned");

  writer writing{upstream, workload, seed};
  if (std::getenv("DM_RANDOM_DDL_DURING_COPY")) writing.allow_ddl();
  create_source_and_start_task(worker, "up", upstream, all_task_yaml(downstream));

  fault_counts faults;
  std::vector<std::string> deaths;
  std::string unit = "?";
  bool ddl_on = false;
  std::optional<nlohmann::json> paused_on_error;
  const auto started = clock_type::now();
  // The first fault comes at once: copying a few thousand rows takes well under a second.
  std::this_thread::sleep_for(std::chrono::milliseconds{between(0, 150)});
  {
    auto status = try_status(worker);
    auto what =
        inject_fault(worker, rng, faults, status ? (*status)["unit"].get<std::string>() : "?");
    say("fault 1: ", what);
  }
  auto next_fault = clock_type::now() + std::chrono::milliseconds{between(2500, 7000)};
  while (clock_type::now() - started < write_for) {
    auto status = try_status(worker);
    if (!status && revive_if_exited(worker, deaths, "during " + unit)) continue;
    if (status) unit = (*status)["unit"].get<std::string>();
    if (status && (*status)["stage"] == "Paused") {
      paused_on_error = *status;
      say("the task paused by itself: ", status->dump());
      break;
    }
    if (!ddl_on && unit == "Sync") {
      ddl_on = true;
      writing.allow_ddl();
      say("copy done after ",
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started)
              .count(),
          " ms; schema changes from now on");
    }
    if (clock_type::now() >= next_fault) {
      auto what = inject_fault(worker, rng, faults, unit);
      say("fault ", faults.total(), ": ", what);
      next_fault = clock_type::now() + std::chrono::milliseconds{between(2500, 7000)};
    }
    std::this_thread::sleep_for(250ms);
  }
  writing.stop();
  auto ddl_log = writing.ddl_log();
  bool failed = false;
  // BOOST_CHECK_MESSAGE that also marks the round failed.
  auto check = [&](bool ok, const std::string& message) {
    BOOST_CHECK_MESSAGE(ok, "seed " << seed << ": " << message);
    failed = failed || !ok;
  };
  check(writing.error().empty(), "the writer failed: " + writing.error());

  auto [synced, status] =
      wait_synced_or_paused(worker, upstream, std::chrono::seconds{300}, deaths);
  for (auto& death : deaths) check(false, death);
  if (paused_on_error || status["stage"] == "Paused") {
    auto& s = paused_on_error ? *paused_on_error : status;
    check(false, "the task ended Paused: last_error " + s["last_error"].dump() + " at " +
                     s["error_binlog"].dump() + "\nworker log:\n" + error_lines(worker));
  } else {
    check(synced, "the task did not catch up within 300 s; last status " + status.dump() +
                      "\nworker log:\n" + error_lines(worker));
  }
  check(status["unit"] == "Sync", "ended in unit " + status["unit"].dump());

  size_t tables = 0;
  uint64_t up_rows = 0, down_rows = 0;
  for (auto& db : workload.databases()) {
    std::string diff;
    try {
      diff = compare_database(upstream, downstream, db);
    } catch (const std::exception& e) {
      // E.g. a column the downstream table lacks, named in the upstream's ORDER BY.
      diff = std::string{"compare_database failed: "} + e.what() + "\n";
    }
    for (auto& table : invisible_differences(diff, db))
      diff += " exact values of `" + table + "`:\n" +
              exact_column_differences(upstream, downstream, db, table);
    check(diff.empty(), "database " + db + " differs:\n" + diff);
    auto [n, rows] = tables_and_rows(upstream, db);
    tables += n;
    up_rows += rows;
    down_rows += tables_and_rows(downstream, db).second;
  }
  // An actor that dies of an exception is a defect even when its unit restarts and recovers.
  auto exceptions = unhandled_exceptions(worker);
  check(exceptions.empty(), std::to_string(exceptions.size()) +
                                " unhandled exception(s) in the worker, the first: " +
                                (exceptions.empty() ? "" : exceptions[0]));
  // The comparison saw data, and the round did what it is for.
  check(tables > 0, "no table compared");
  check(up_rows > 0 && down_rows > 0, "the compared tables are empty: " + std::to_string(up_rows) +
                                          " rows upstream, " + std::to_string(down_rows) +
                                          " downstream");
  auto& counts = workload.counts();
  check(counts.statements > 0, "no row change was made");
  check(paused_on_error || faults.total() >= 2,
        "only " + std::to_string(faults.total()) + " fault(s) injected");
  check(paused_on_error || counts.ddl > 0,
        "no schema change was applied (the copy ended: " + std::to_string(ddl_on) + ")");
  // A statement the server cannot parse is a bug of the generator.
  check(!counts.refusals.count(1064),
        "the generator wrote SQL the server cannot parse: " +
            (counts.refusal_examples.count(1064) ? counts.refusal_examples.at(1064) : ""));

  if (failed) {
    say("worker log lines of note:\n", error_lines(worker));
    keep_evidence(worker, upstream, downstream, ddl_log);
    if (auto hold = env_u64("DM_RANDOM_HOLD")) {
      say("holding the servers for ", *hold, " s: upstream 127.0.0.1:", upstream.port(),
          ", downstream 127.0.0.1:", downstream.port());
      std::this_thread::sleep_for(std::chrono::seconds{*hold});
    }
  }
  say("seed ", seed, failed ? ": FAILED" : ": ok", "; ", counts.statements, " statements run (",
      counts.refused, " refused, ", counts.transactions, " transactions, ", counts.rollbacks,
      " rolled back), ", counts.ddl, " DDL applied (", counts.ddl_refused, " refused), ",
      faults.total(), " faults injected (", faults.pauses, " pause/resume, ", faults.kills,
      " SIGKILL, ", faults.during_copy, " during the copy), ", tables, " tables compared in ",
      workload.databases().size(), " databases, ", up_rows, " rows upstream, ", down_rows,
      " downstream, ", writing.reconnects(), " writer reconnects, unit restarts ",
      status["restarts"].dump());
  print_refusals(counts);
  return failed;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_schemas_and_changes_replicate_exactly_through_faults) {
  auto seed = env_u64("DM_RANDOM_SEED");
  auto seconds = env_u64("DM_RANDOM_SECONDS");
  auto write_seconds = env_u64("DM_RANDOM_WRITE_SECONDS");
  auto round_length = [&](uint64_t s) {
    if (write_seconds) return std::chrono::seconds{*write_seconds};
    if (!seconds) return std::chrono::seconds{55};
    return std::chrono::seconds{30 + static_cast<int64_t>(s % 121)};
  };
  auto initial_rows = [](uint64_t s) { return static_cast<size_t>(3000 + s % 2001); };
  if (seed) {
    run_round(*seed, round_length(*seed), initial_rows(*seed));
    return;
  }
  std::random_device device;
  std::string all, failed;
  size_t rounds = 0;
  const auto started = clock_type::now();
  do {
    uint64_t s = (uint64_t{device()} << 32 | device()) & 0x7fffffffffffffffULL;
    ++rounds;
    all += " " + std::to_string(s);
    if (run_round(s, round_length(s), initial_rows(s))) failed += " " + std::to_string(s);
  } while (seconds && clock_type::now() - started < std::chrono::seconds{*seconds});
  say(rounds, " round(s), seeds:", all, "; failed:", failed.empty() ? " none" : failed);
}
