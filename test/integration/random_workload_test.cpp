// Randomized end-to-end test: a random schema (case-only database and table name pairs, every
// column type, every kind of key, foreign key chains with CASCADE / SET NULL / RESTRICT) with a
// few thousand rows is copied and then followed by an all-mode task while one writer keeps
// changing rows (and, once the task syncs, the schema, partly under non-default session
// settings), and the worker is paused/resumed and SIGKILLed at random moments, the first time
// during the copy. When the writer stops and the task caught up, the task must be running and
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
#define BOOST_TEST_MODULE random_workload
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
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
  return text.replace(at, std::string{"task-mode: incremental"}.size(), "task-mode: all");
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

// Waits until the task caught up with the upstream's current position, or paused; returns
// whether it caught up, and its last status.
std::pair<bool, nlohmann::json> wait_synced_or_paused(const worker_process& worker,
                                                      const mariadb_sandbox& upstream,
                                                      std::chrono::seconds timeout) {
  auto deadline = clock_type::now() + timeout;
  nlohmann::json last;
  while (clock_type::now() < deadline) {
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
    BOOST_CHECK_MESSAGE(resumed.exit_code == 0, "resume-task failed: " << resumed.err << resumed.out);
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

// Tables of `db` and their rows on `server`.
std::pair<size_t, uint64_t> tables_and_rows(const mariadb_sandbox& server, const std::string& db) {
  size_t tables = 0;
  uint64_t rows = 0;
  for (auto& r : server.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                              "TABLE_SCHEMA = '" + db + "' AND TABLE_TYPE = 'BASE TABLE'")) {
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

// A sandbox with its own tmpdir: the servers' temporary files are nobody else's business (other
// tests on the machine share /tmp).
sandbox_options own_tmpdir(uint32_t server_id) {
  auto o = sandbox_options::with_server_id(server_id);
  o.dir = make_temp_dir("dm-mariadb");
  std::filesystem::create_directories(o.dir + "/tmp");
  o.extra_args.push_back("--tmpdir=" + o.dir + "/tmp");
  return o;
}

std::string server_log_tail(const mariadb_sandbox& server, size_t bytes = 3000) {
  std::ifstream in{server.dir() + "/mariadbd.log"};
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

void run_round_on(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
                  worker_process& worker, uint64_t seed, std::chrono::seconds write_for,
                  size_t initial_rows);

// One round: fresh servers and worker, the workload of `seed`, faults while it writes for
// `write_for`, then the checks. A round that throws fails with the servers' log tails.
void run_round(uint64_t seed, std::chrono::seconds write_for, size_t initial_rows) {
  say("seed ", seed, " (replay: DM_RANDOM_SEED=", seed, " DM_RANDOM_WRITE_SECONDS=",
      write_for.count(), ")");
  BOOST_TEST_MESSAGE("random_workload seed " << seed);
  mariadb_sandbox upstream{own_tmpdir(1)};
  mariadb_sandbox downstream{own_tmpdir(2)};
  worker_process worker;
  say("worker dir ", worker.dir());
  try {
    run_round_on(upstream, downstream, worker, seed, write_for, initial_rows);
  } catch (const std::exception& e) {
    BOOST_ERROR("seed " << seed << ": the round failed: " << e.what()
                        << "\nupstream server log tail:\n" << server_log_tail(upstream)
                        << "\ndownstream server log tail:\n" << server_log_tail(downstream)
                        << "\nworker log:\n" << error_lines(worker));
    keep_evidence(worker, upstream, downstream, {});
  }
}

void run_round_on(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
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
  bool ddl_on = false;
  std::optional<nlohmann::json> paused_on_error;
  const auto started = clock_type::now();
  auto next_fault = started + std::chrono::milliseconds{between(200, 1200)};
  while (clock_type::now() - started < write_for) {
    auto status = try_status(worker);
    std::string unit = status ? (*status)["unit"].get<std::string>() : "?";
    if (status && (*status)["stage"] == "Paused") {
      paused_on_error = *status;
      say("the task paused by itself: ", status->dump());
      break;
    }
    if (!ddl_on && unit == "Sync") {
      ddl_on = true;
      writing.allow_ddl();
      say("copy done after ",
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started).count(),
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
  BOOST_CHECK_MESSAGE(writing.error().empty(), "seed " << seed << ": the writer failed: "
                                                       << writing.error());

  auto [synced, status] = wait_synced_or_paused(worker, upstream, std::chrono::seconds{300});
  bool failed = false;
  if (status["stage"] == "Paused" || paused_on_error) {
    auto& s = paused_on_error ? *paused_on_error : status;
    failed = true;
    BOOST_ERROR("seed " << seed << ": the task ended Paused: last_error " << s["last_error"]
                        << " at " << s["error_binlog"].dump() << "\nworker log:\n"
                        << error_lines(worker));
  } else if (!synced) {
    failed = true;
    BOOST_ERROR("seed " << seed << ": the task did not catch up within 300 s; last status "
                        << status.dump() << "\nworker log:\n" << error_lines(worker));
  }
  BOOST_CHECK_MESSAGE(status["unit"] == "Sync", "seed " << seed << ": ended in unit "
                                                        << status["unit"]);

  size_t tables = 0;
  uint64_t up_rows = 0, down_rows = 0;
  for (auto& db : workload.databases()) {
    auto diff = compare_database(upstream, downstream, db);
    failed = failed || !diff.empty();
    BOOST_CHECK_MESSAGE(diff.empty(), "seed " << seed << ": database " << db << " differs:\n"
                                              << diff);
    auto [n, rows] = tables_and_rows(upstream, db);
    tables += n;
    up_rows += rows;
    down_rows += tables_and_rows(downstream, db).second;
  }
  // An actor that dies of an exception is a defect even when its unit restarts and recovers.
  auto exceptions = unhandled_exceptions(worker);
  failed = failed || !exceptions.empty();
  BOOST_CHECK_MESSAGE(exceptions.empty(), "seed " << seed << ": " << exceptions.size()
                                                  << " unhandled exception(s) in the worker, "
                                                     "the first: "
                                                  << (exceptions.empty() ? "" : exceptions[0]));
  // The comparison saw data, the round did something.
  BOOST_CHECK_GT(tables, 0u);
  BOOST_CHECK_GT(up_rows, 0u);
  BOOST_CHECK_GT(down_rows, 0u);
  auto& counts = workload.counts();
  BOOST_CHECK_GT(counts.statements, 0u);
  BOOST_CHECK_MESSAGE(paused_on_error || faults.total() >= 2,
                      "seed " << seed << ": only " << faults.total() << " fault(s) injected");
  BOOST_CHECK_MESSAGE(paused_on_error || counts.ddl > 0,
                      "seed " << seed << ": no schema change was applied (ddl_on " << ddl_on << ")");
  // A statement the server cannot parse is a bug of the generator.
  BOOST_CHECK_MESSAGE(!counts.refusals.count(1064),
                      "seed " << seed << ": the generator wrote SQL the server cannot parse: "
                              << (counts.refusal_examples.count(1064)
                                      ? counts.refusal_examples.at(1064) : ""));

  if (failed) {
    say("worker log lines of note:\n", error_lines(worker));
    keep_evidence(worker, upstream, downstream, ddl_log);
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
  std::vector<uint64_t> seeds;
  const auto started = clock_type::now();
  do {
    uint64_t s = (uint64_t{device()} << 32 | device()) & 0x7fffffffffffffffULL;
    seeds.push_back(s);
    run_round(s, round_length(s), initial_rows(s));
  } while (seconds && clock_type::now() - started < std::chrono::seconds{*seconds});
  std::string all;
  for (auto s : seeds) all += " " + std::to_string(s);
  say(seeds.size(), " round(s), seeds:", all);
}
