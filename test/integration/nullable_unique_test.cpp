// Tables whose only unique key is nullable have no row identity safe mode can use, so their
// changes are applied exactly once (apply marks) by one applier each, in binlog order. Many such
// tables under multi-row inserts, updates and deletes, in an all-mode task with eight appliers,
// through pauses and SIGKILLs of the worker: every row arrives exactly once.
#define BOOST_TEST_MODULE nullable_unique
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <random>
#include <regex>
#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

constexpr int tables = 120;

std::string table(int i) { return "nu.t" + std::to_string(i); }

// Multi-row inserts whose rows differ only in the second key column, updates and deletes of a
// few rows, across every table, in transactions of a few statements.
void write_until(const mariadb_sandbox& upstream, uint32_t seed, const std::atomic<bool>& stop,
                 std::atomic<size_t>& statements, std::string& failure) {
  try {
    std::mt19937 rng{seed};
    auto conn = upstream.connect();
    for (uint64_t n = 0; !stop; ++n) {
      std::string tx = "BEGIN";
      for (int k = 0; k < 3; ++k) {
        auto t = table(rng() % tables);
        auto a = std::to_string(rng() % 50);
        switch (rng() % 4) {
          case 0:
          case 1:
            tx += "; INSERT INTO " + t + " VALUES (" + a + ", 1, " + std::to_string(n) + "), (" +
                  a + ", 2, " + std::to_string(n) + "), (NULL, NULL, " + std::to_string(n) + ")";
            break;
          case 2: tx += "; UPDATE " + t + " SET v = v + 1 WHERE a = " + a; break;
          default: tx += "; DELETE FROM " + t + " WHERE a = " + a + " LIMIT 2";
        }
      }
      if (auto err = conn.execute(tx + "; COMMIT")) {
        conn.execute("ROLLBACK");
        auto what = dm::describe(err);
        if (what.find("[1062]") == std::string::npos && what.find("[1213]") == std::string::npos)
          throw std::runtime_error(tx + ": " + what);
        continue;
      }
      statements += 3;
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(tables_with_only_a_nullable_unique_key_lose_and_double_nothing) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  upstream.execute("CREATE DATABASE nu CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  for (int i = 0; i < tables; ++i) {
    upstream.execute("CREATE TABLE " + table(i) +
                     " (a INT NULL, b INT NULL, v INT NOT NULL, UNIQUE KEY ab (a, b))");
    upstream.execute("INSERT INTO " + table(i) + " VALUES (1, 1, 0), (NULL, NULL, 0), (NULL, 1, 0)");
  }
  uint32_t seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::atomic<bool> stop{false};
  std::atomic<size_t> statements{0};
  std::string failure;
  std::thread writer([&] { write_until(upstream, seed, stop, statements, failure); });

  auto task = task_yaml("nu", {"up"}, downstream,
                        "    syncer-config-name: \"s\"\n"
                        "syncers:\n  s:\n    worker-count: 8\n    batch: 16\n");
  task = std::regex_replace(task, std::regex{"task-mode: incremental"}, "task-mode: all");
  create_source_and_start_task(worker, "up", upstream, task);
  std::mt19937 faults{seed};
  for (int round = 0; round < 4; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds{1500 + faults() % 2000});
    if (round % 2 == 0) {
      BOOST_REQUIRE_EQUAL(worker.dmctl({"pause-task", "nu"}).exit_code, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds{500});
      BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "nu"}).exit_code, 0);
    } else {
      worker.kill();
      worker.start();
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds{2});
  stop = true;
  writer.join();
  BOOST_REQUIRE_MESSAGE(failure.empty(), failure);
  BOOST_REQUIRE_GT(statements.load(), 300u);

  wait_synced(worker, "nu", upstream, std::chrono::seconds{300});
  auto diff = compare_database(upstream, downstream, "nu");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(task_source_status(worker, "nu")["stage"], "Running");
  // The marks were used: some restart skipped changes applied before it.
  BOOST_CHECK_GE(worker.count_log_lines("resumes after an unclean stop"), 1u);
  BOOST_TEST_MESSAGE(statements.load() << " changes, seed " << seed);
}
