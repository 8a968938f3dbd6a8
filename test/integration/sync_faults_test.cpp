// The worker is SIGKILLed ten times while a sustained workload (every column type, a table
// without a key, a table with only a composite unique key, schema changes, and the mixed shop
// workload) runs on the upstream; after each kill it is restarted. At the end every table is
// identical upstream and downstream: nothing lost, nothing applied twice.
#define BOOST_TEST_MODULE sync_faults
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/typed_workload.hpp"
#include "test/support/workload.hpp"

using namespace dm::test;

BOOST_AUTO_TEST_CASE(ten_sigkills_during_a_sustained_workload_lose_and_double_nothing) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("source.yaml", source_yaml("up", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto started = worker.dmctl(
      {"start-task", worker.write_file("task.yaml", task_yaml("chaos", {"up"}, downstream))});
  BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);

  typed_workload typed{"typed", 99};
  mixed_workload shop{"shop", 98};
  auto conn = upstream.connect();
  BOOST_REQUIRE(!conn.execute(typed.schema_sql()));
  BOOST_REQUIRE(!conn.execute(shop.schema_sql()));

  std::atomic<bool> stop{false};
  std::atomic<size_t> changes{0}, schema_changes{0};
  std::string workload_error;
  std::thread writer{[&] {
    try {
      auto c = upstream.connect();
      for (size_t round = 0; !stop; ++round) {
        typed.run(c, 100);
        shop.run(c, 200);
        changes += 300;
        if (round % 15 == 14 && !typed.next_schema_change(c).empty()) ++schema_changes;
      }
    } catch (const std::exception& e) {
      workload_error = e.what();
    }
  }};

  std::mt19937 rng{2026};
  int kills = 0;
  for (; kills < 10 && workload_error.empty(); ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds{1000 + rng() % 3000});
    worker.kill();
    std::this_thread::sleep_for(std::chrono::milliseconds{200 + rng() % 800});
    worker.start();
  }
  stop = true;
  writer.join();
  BOOST_REQUIRE_MESSAGE(workload_error.empty(), workload_error);
  wait_synced(worker, "chaos", upstream, std::chrono::seconds{300});

  for (auto db : {"typed", "shop"}) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  for (auto db : typed.kept_databases()) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  auto status = worker.dmctl_json({"query-status", "chaos"})["tasks"].at(0)["sources"].at(0);
  BOOST_CHECK_EQUAL(status["stage"], "Running");
  // How often the restarts replayed in safe mode and skipped keyless changes by their marks.
  std::ifstream log{worker.dir() + "/worker.log"};
  size_t unclean = 0, keyless_skips = 0;
  for (std::string line; std::getline(log, line);) {
    unclean += line.find("resumes after an unclean stop") != std::string::npos;
    keyless_skips += line.find("applied before the last stop") != std::string::npos;  // per event
  }
  BOOST_CHECK_GE(unclean, 1u);
  BOOST_TEST_MESSAGE(kills << " SIGKILLs survived during " << changes << " changes and "
                           << schema_changes << " schema changes; " << unclean
                           << " safe-mode replays, " << keyless_skips
                           << " keyless events skipped (whole or in part) by their marks; every table identical "
                              "(nokey "
                           << row_count(upstream, "typed.nokey") << " rows)");
}
