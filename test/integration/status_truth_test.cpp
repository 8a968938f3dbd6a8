// query-status tells the truth around errors and outages:
// - handle-error replace of a row change the downstream refused, in a transaction whose earlier
//   changes are still in flight when the syncer comes back to it (the event is processed twice:
//   once to find the appliers must drain first, once after), right after the copy's hand-off to
//   sync; and rows_per_second stays a real rate after the syncer restarts;
// - error_binlog is {"file": "", "pos": 0} when there is no error;
// - while the relay cannot reach the upstream, the task is not "synced".
#define BOOST_TEST_MODULE status_truth
#include <boost/test/unit_test.hpp>

#include <regex>
#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

BOOST_AUTO_TEST_CASE(handle_error_replace_after_the_hand_off_and_rates_after_it) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  upstream.execute("CREATE DATABASE he CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  upstream.execute("CREATE TABLE he.bulk (id INT PRIMARY KEY, v VARCHAR(100))");
  upstream.execute("CREATE TABLE he.t (id INT PRIMARY KEY, v INT)");
  upstream.execute("INSERT INTO he.bulk SELECT seq, REPEAT('b', 100) FROM he.seq_1_to_1000");
  auto task = task_yaml("he", {"up"}, downstream,
                        "    syncer-config-name: \"s\"\n"
                        "syncers:\n  s:\n    worker-count: 4\n    batch: 10\n");
  task = std::regex_replace(task, std::regex{"task-mode: incremental"}, "task-mode: all");
  create_source_and_start_task(worker, "up", upstream, task);
  wait_synced(worker, "he", upstream);
  auto healthy = task_source_status(worker, "he");
  BOOST_CHECK_EQUAL(healthy["error_binlog"], nlohmann::json({{"file", ""}, {"pos", 0}}));

  // One transaction: many rows in flight, then a row the downstream already holds.
  downstream.execute("INSERT INTO he.t VALUES (5, 0)");
  upstream.execute("BEGIN; INSERT INTO he.bulk SELECT seq, 'in flight' FROM he.seq_2001_to_6000; "
                   "INSERT INTO he.t VALUES (5, 5); COMMIT");
  auto paused = wait_task_stage(worker, "he", "Paused");
  BOOST_CHECK_MESSAGE(paused["last_error"].get<std::string>().find("Duplicate entry") !=
                          std::string::npos,
                      paused.dump());
  BOOST_REQUIRE_MESSAGE(paused["error_binlog"]["file"] != "", paused.dump());

  auto replaced = worker.dmctl(
      {"handle-error", "he", "replace", "UPDATE he.t SET v = 5 WHERE id = 5"});
  BOOST_REQUIRE_MESSAGE(replaced.exit_code == 0, replaced.err);
  upstream.execute("INSERT INTO he.t VALUES (6, 6)");
  // The rate is a rate: never the wrapped difference of a restarted counter.
  for (int i = 0; i < 12; ++i) {
    auto s = task_source_status(worker, "he");
    BOOST_CHECK_MESSAGE(s["stage"] == "Running", s.dump());
    BOOST_CHECK_MESSAGE(s["rows_per_second"].get<double>() < 1e7, s.dump());
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
  wait_synced(worker, "he", upstream);
  auto diff = compare_database(upstream, downstream, "he");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(row_count(downstream, "he.bulk"), 5000u);
}

BOOST_AUTO_TEST_CASE(a_task_is_not_synced_while_its_relay_cannot_reach_the_upstream) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  upstream.execute("CREATE DATABASE rs; CREATE TABLE rs.t (id INT PRIMARY KEY)");
  downstream.execute("CREATE DATABASE rs; CREATE TABLE rs.t (id INT PRIMARY KEY)");
  create_source_and_start_task(worker, "up", upstream, task_yaml("rs", {"up"}, downstream));
  upstream.execute("INSERT INTO rs.t VALUES (1)");
  wait_synced(worker, "rs", upstream);
  BOOST_REQUIRE_EQUAL(task_source_status(worker, "rs")["synced"], true);

  upstream.stop();
  nlohmann::json relay, task;
  for (int i = 0; i < 100; ++i) {
    auto j = worker.dmctl_json({"query-status", "rs"});
    relay = j["sources"].at(0)["relay"];
    task = j["tasks"].at(0)["sources"].at(0);
    if (relay["stage"] != "Running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  BOOST_REQUIRE_MESSAGE(relay["stage"] != "Running", relay.dump());
  // Give a stale report time to show up.
  std::this_thread::sleep_for(std::chrono::seconds{2});
  task = task_source_status(worker, "rs");
  BOOST_CHECK_MESSAGE(task["synced"] == false, task.dump());

  upstream.start();
  upstream.execute("INSERT INTO rs.t VALUES (2)");
  wait_synced(worker, "rs", upstream);
  auto diff = compare_database(upstream, downstream, "rs");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
}

// An incremental task without `meta` starts where the upstream stood when start-task answered,
// however late its syncer subscribes to the relay: changes made right after the answer are
// replicated (they used to be skipped when the relay stored them first).
BOOST_AUTO_TEST_CASE(every_change_after_start_task_answers_is_replicated) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  auto source = worker.write_file("up.yaml", source_yaml("up", upstream));
  BOOST_REQUIRE_EQUAL(worker.dmctl({"operate-source", "create", source}).exit_code, 0);
  for (int round = 0; round < 6; ++round) {
    auto db = "now" + std::to_string(round);
    auto task = worker.write_file("t.yaml", task_yaml("t", {"up"}, downstream));
    auto started = worker.dmctl({"start-task", task});
    BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);
    upstream.execute("CREATE DATABASE " + db + "; CREATE TABLE " + db +
                     ".t (id INT PRIMARY KEY); INSERT INTO " + db + ".t VALUES (1), (2)");
    wait_synced(worker, "t", upstream);
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
    BOOST_CHECK_EQUAL(row_count(downstream, db + ".t"), 2u);
    BOOST_REQUIRE_EQUAL(worker.dmctl({"stop-task", "t"}).exit_code, 0);
  }
}
