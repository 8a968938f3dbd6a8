// Fault injection: an all-mode task copies and then follows an upstream under a sustained
// write load (sysbench oltp_write_only on sbtest.*, and the mixed workload on app.*) while, in
// random order, the worker is SIGKILLed and restarted, the downstream goes away for a while
// (stopped or SIGKILLed), the upstream restarts, and the task is paused and resumed. When the
// faults are over and the writers stop, every table must be identical on both sides.
//
// Short mode (CI, the default): 8 faults, downstream outages of 10-15 s. Environment knobs:
//   DM_CHAOS_FAULTS=N     faults to inject (long mode: 50, with DM_CHAOS_OUTAGE_MAX=60)
//   DM_CHAOS_SECONDS=S    go on injecting until S seconds passed (a soak: 3600), at least N
//   DM_CHAOS_OUTAGE_MAX=S longest downstream outage (shortest: 10 s)
//   DM_CHAOS_SEED=X       the fault order to replay (printed by every run)
//   DM_CHAOS_TABLE_SIZE=R rows per sysbench table before the task starts (default 50000)
#define BOOST_TEST_MODULE chaos
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/load_writers.hpp"

using namespace dm::test;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

enum class fault { kill_worker, downstream_outage, upstream_restart, pause_resume };

const char* name_of(fault f) {
  switch (f) {
    case fault::kill_worker: return "worker SIGKILL + restart";
    case fault::downstream_outage: return "downstream outage";
    case fault::upstream_restart: return "upstream restart";
    case fault::pause_resume: return "pause-task + resume-task";
  }
  return "?";
}

std::string all_task_yaml(const mariadb_sandbox& downstream) {
  auto text = task_yaml("chaos", {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n"
                        "mydumpers:\n  d:\n    threads: 2\n    rows: 5000\n");
  auto at = text.find("task-mode: incremental");
  if (at == std::string::npos) throw std::logic_error("task_yaml has no task-mode line");
  return text.replace(at, std::string{"task-mode: incremental"}.size(), "task-mode: all");
}

// Progress lines go to stdout (the test log), whatever Boost.Test's log level.
template <typename... Parts>
void say(const Parts&... parts) {
  std::cout << "chaos: ";
  (std::cout << ... << parts) << std::endl;
}

nlohmann::json subtask_status(const worker_process& worker) {
  return worker.dmctl_json({"query-status", "chaos"})["tasks"].at(0)["sources"].at(0);
}

void require_ok(const command_result& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err + r.out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_all_mode_task_under_load_survives_random_faults_with_identical_data) {
  const int fault_count = env_int("DM_CHAOS_FAULTS", 8);
  const auto min_duration = std::chrono::seconds{env_int("DM_CHAOS_SECONDS", 0)};
  const int outage_max = std::max(10, env_int("DM_CHAOS_OUTAGE_MAX", 15));
  const auto seed = static_cast<uint64_t>(
      env_int("DM_CHAOS_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  say("seed ", seed, " (DM_CHAOS_SEED replays this order), ", fault_count,
      " faults, outages 10-", outage_max, " s");
  std::mt19937_64 rng{seed};
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); };

  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;

  sysbench_options load;
  load.tables = 4;
  load.table_size = env_int("DM_CHAOS_TABLE_SIZE", 50000);
  load.threads = 2;
  load.rate = 100;  // transactions/s: sustained, and leaving the 2 cores room to catch up
  load.seed = static_cast<int>(seed % 100000);
  upstream.execute("CREATE DATABASE sbtest");
  require_ok(run_sysbench(upstream, "prepare", load), "sysbench prepare");
  load_writers writing{upstream, load, seed};

  create_source_and_start_task(worker, "up", upstream, all_task_yaml(downstream));

  // Every kind at least once when there are enough faults, then uniformly random kinds; shuffled.
  std::vector<fault> plan;
  const std::vector<fault> kinds = {fault::kill_worker, fault::downstream_outage,
                                    fault::upstream_restart, fault::pause_resume};
  for (int i = 0; i < fault_count; ++i)
    plan.push_back(i < 4 ? kinds[i] : kinds[between(0, 3)]);
  std::shuffle(plan.begin(), plan.end(), rng);

  std::map<std::string, int> survived;
  const auto started = clock_type::now();
  for (size_t i = 0; i < plan.size() || clock_type::now() - started < min_duration; ++i) {
    auto f = i < plan.size() ? plan[i] : kinds[between(0, 3)];
    // The first fault comes while the tables are being copied, the others while syncing (or
    // copying again after a fault).
    std::this_thread::sleep_for(std::chrono::milliseconds{i == 0 ? between(300, 2000)
                                                                 : between(2000, 6000)});
    auto unit = subtask_status(worker)["unit"].get<std::string>();
    std::string detail;
    switch (f) {
      case fault::kill_worker:
        worker.kill();
        std::this_thread::sleep_for(std::chrono::milliseconds{between(0, 2000)});
        worker.start();
        break;
      case fault::downstream_outage: {
        bool crash = between(0, 1) == 1;
        crash ? downstream.kill() : downstream.stop();
        int seconds = between(10, outage_max);
        detail = (crash ? "SIGKILL, " : "stop, ") + std::to_string(seconds) + " s";
        std::this_thread::sleep_for(std::chrono::seconds{seconds});
        downstream.start();
        break;
      }
      case fault::upstream_restart:
        upstream.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds{between(0, 3000)});
        upstream.start();
        break;
      case fault::pause_resume:
        require_ok(worker.dmctl({"pause-task", "chaos"}), "pause-task");
        std::this_thread::sleep_for(std::chrono::milliseconds{between(500, 5000)});
        require_ok(worker.dmctl({"resume-task", "chaos"}), "resume-task");
        break;
    }
    ++survived[name_of(f)];
    say("fault ", i + 1, ": ", name_of(f), detail.empty() ? "" : " (" + detail + ")",
        " during ", unit);
    // A fault must never leave the task paused on an error: it recovers by itself.
    auto status = subtask_status(worker);
    BOOST_REQUIRE_MESSAGE(status["stage"] != "Paused", "paused after a fault: " << status.dump());
  }

  writing.stop();
  wait_synced(worker, "chaos", upstream, std::chrono::seconds{600});
  for (auto db : {"sbtest", "app"}) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  auto status = subtask_status(worker);
  BOOST_CHECK_EQUAL(status["unit"], "Sync");
  int total = 0;
  std::string by_kind;
  for (auto& [kind, n] : survived) {
    total += n;
    by_kind += " " + kind + ": " + std::to_string(n) + ";";
  }
  auto minutes = std::chrono::duration<double>(clock_type::now() - started).count() / 60;
  say(total, " faults survived in ", minutes, " min (seed ", seed, ");", by_kind, " ",
      writing.sysbench_runs(), " sysbench runs, ", writing.mixed_changes(), " mixed changes, ",
      writing.reconnects(), " writer reconnects, ", status["restarts"].dump(), " unit restarts");
  BOOST_CHECK_GE(total, fault_count);
}
