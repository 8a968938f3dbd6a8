// The worker rides out its peers' restarts: a downstream that goes away for a while (the task
// retries with backoff and catches up) and an upstream restarted mid-stream (the relay
// reconnects by itself). Then stop-task and operate-source stop remove everything. A task the
// operator paused applies nothing, stays paused across a worker restart, and resumes exactly.
// Restarts while the downstream is down keep the safe-mode replay a SIGKILL made necessary.
#define BOOST_TEST_MODULE restarts
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/workload.hpp"

using namespace dm::test;

namespace {

// An upstream, a downstream and a worker replicating the one into the other as task "t".
struct replication {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;

  replication() {
    auto created =
        worker.dmctl({"operate-source", "create",
                      worker.write_file("s.yaml", source_yaml("up", upstream))});
    if (created.exit_code != 0) throw std::runtime_error(created.err);
    auto started = worker.dmctl(
        {"start-task", worker.write_file("t.yaml", task_yaml("t", {"up"}, downstream))});
    if (started.exit_code != 0) throw std::runtime_error(started.err);
  }

  // Creates the workload's tables upstream, runs `changes` on them and waits until the task
  // has applied them.
  void create_and_sync(mixed_workload& workload, size_t changes) {
    auto conn = upstream.connect();
    BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
    workload.run(conn, changes);
    wait_synced(worker, "t", upstream);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(downstream_and_upstream_restarts_lose_nothing, replication) {
  mixed_workload workload{"app", 7};
  create_and_sync(workload, 2000);

  // Downstream away while the upstream keeps writing.
  downstream.stop();
  {
    auto conn = upstream.connect();
    workload.run(conn, 2000);
  }
  std::this_thread::sleep_for(std::chrono::seconds{2});
  auto status = worker.dmctl_json({"query-status", "t"});
  BOOST_CHECK_MESSAGE(!status["tasks"][0]["sources"][0]["synced"].get<bool>(), status.dump());
  downstream.start();
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);

  // Upstream restarted; the relay reconnects without help.
  upstream.stop();
  upstream.start();
  {
    auto conn = upstream.connect();
    workload.run(conn, 2000);
  }
  wait_synced(worker, "t", upstream);
  diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  status = worker.dmctl_json({"query-status"});
  BOOST_CHECK_GE(status["sources"][0]["relay"]["reconnects"].get<int>(), 1);

  // Removing: the source is in use until the task is gone.
  BOOST_CHECK_NE(worker.dmctl({"operate-source", "stop", "up"}).exit_code, 0);
  BOOST_CHECK_EQUAL(worker.dmctl({"stop-task", "t"}).exit_code, 0);
  BOOST_CHECK_EQUAL(worker.dmctl({"operate-source", "stop", "up"}).exit_code, 0);
  auto members = worker.dmctl_json({"list-member"});
  BOOST_CHECK(members["members"][0]["sources"].empty());
  BOOST_CHECK(members["members"][0]["tasks"].empty());
}

// A downstream SIGKILLed under load leaves committed changes past the saved checkpoint: the next
// run must replay them in safe mode. A run that starts and stops again before it replays them
// (here: the downstream is back but the upstream is down) must keep that window open for the run
// that finally does; such a stop once counted as clean, and the run after it failed on a
// duplicate key.
BOOST_FIXTURE_TEST_CASE(a_run_stopped_before_its_replay_keeps_the_safe_mode_window, replication) {
  mixed_workload workload{"app", 13};
  create_and_sync(workload, 1000);

  std::atomic<bool> writing{true};
  std::thread writer{[&] {
    auto conn = upstream.connect();
    while (writing) workload.run(conn, 100);
  }};
  std::this_thread::sleep_for(std::chrono::seconds{1});
  downstream.kill();
  std::this_thread::sleep_for(std::chrono::seconds{2});
  writing = false;
  writer.join();
  // Long enough for the appliers to give up: the syncer stops uncleanly.
  auto restarts = [&] {
    return worker.dmctl_json({"query-status", "t"})["tasks"][0]["sources"][0]["restarts"]
        .get<int>();
  };
  auto wait_restarts = [&](int at_least) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    while (restarts() < at_least && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{200});
    BOOST_REQUIRE_GE(restarts(), at_least);
  };
  wait_restarts(1);
  // The next run reaches the downstream but stops at its first change: the table's structure
  // comes from the upstream, which is down.
  upstream.stop();
  downstream.start();
  wait_restarts(restarts() + 2);
  upstream.start();
  wait_synced(worker, "t", upstream);
  auto status = worker.dmctl_json({"query-status", "t"});
  BOOST_CHECK_MESSAGE(status["tasks"][0]["sources"][0]["stage"] == "Running", status.dump());
  auto diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
}

BOOST_FIXTURE_TEST_CASE(a_paused_task_applies_nothing_stays_paused_after_a_restart_and_resumes,
                        replication) {
  mixed_workload workload{"app", 11};
  auto conn = upstream.connect();
  BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
  workload.run(conn, 1000);
  wait_synced(worker, "t", upstream);

  auto paused = worker.dmctl_json({"pause-task", "t"});
  BOOST_CHECK_EQUAL(paused["tasks"][0]["stage"], "Paused");
  BOOST_REQUIRE(!conn.execute("CREATE TABLE app.after_pause (id INT PRIMARY KEY)"));
  BOOST_REQUIRE(!conn.execute("INSERT INTO app.after_pause VALUES (1), (2), (3)"));
  workload.run(conn, 1000);
  std::this_thread::sleep_for(std::chrono::seconds{2});
  auto tables = downstream.query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'after_pause'");
  BOOST_CHECK_EQUAL(*tables[0][0], "0");

  // SIGKILL and restart: the task comes back paused.
  worker.kill();
  worker.start();
  auto status = worker.dmctl_json({"query-status", "t"});
  BOOST_CHECK_EQUAL(status["tasks"][0]["stage"], "Paused");
  BOOST_CHECK_EQUAL(status["tasks"][0]["sources"][0]["stage"], "Paused");
  std::this_thread::sleep_for(std::chrono::seconds{1});
  tables = downstream.query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'after_pause'");
  BOOST_CHECK_EQUAL(*tables[0][0], "0");

  auto resumed = worker.dmctl_json({"resume-task", "t"});
  BOOST_CHECK_EQUAL(resumed["tasks"][0]["stage"], "Running");
  workload.run(conn, 500);
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(row_count(downstream, "app.after_pause"), 3u);

  // Resuming a running task changes nothing; an unknown task is refused.
  BOOST_CHECK_EQUAL(worker.dmctl_json({"resume-task", "t"})["tasks"][0]["stage"], "Running");
  auto unknown = worker.dmctl({"pause-task", "nosuch"});
  BOOST_CHECK_NE(unknown.exit_code, 0);
  BOOST_CHECK_MESSAGE(unknown.err.find("task nosuch does not exist") != std::string::npos,
                      unknown.err);
}

BOOST_FIXTURE_TEST_CASE(dmctl_without_a_command_runs_one_command_per_line, replication) {
  auto r = worker.dmctl_interactive(
      "list-member\n"
      "no-such-command\n"
      "pause-task 't'\n"
      "query-status \"t\"\n"
      "resume-task t\n"
      "exit\n"
      "stop-task t\n");
  BOOST_CHECK_EQUAL(r.exit_code, 0);  // the last command run, resume-task, succeeded
  BOOST_CHECK_MESSAGE(r.out.find("worker-1") != std::string::npos, r.out);
  BOOST_CHECK_MESSAGE(r.err.find("no-such-command") != std::string::npos, r.err);
  BOOST_CHECK_MESSAGE(r.out.find("paused") != std::string::npos, r.out);
  BOOST_CHECK_MESSAGE(r.out.find("resumed") != std::string::npos, r.out);
  // Nothing after `exit` ran: the task is still there, and running.
  auto status = worker.dmctl_json({"query-status", "t"});
  BOOST_CHECK_EQUAL(status["tasks"][0]["stage"], "Running");
}

// update-task: a paused task's block-allow-list, routes and filters change; the new rules apply
// from the checkpoint on, and survive a worker restart. A running task, a change to anything
// else and a rule that does not compile are refused with one line, changing nothing.
BOOST_AUTO_TEST_CASE(a_paused_task_takes_new_rules_with_update_task) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  // First: app only, and app's deletes filtered out.
  auto first_rules = task_yaml("r", {"up"}, downstream,
                               "    block-allow-list: \"bal\"\n"
                               "    filter-rules: [\"keep-rows\"]\n"
                               "block-allow-list:\n  bal:\n    do-dbs: [\"app\"]\n"
                               "filters:\n  keep-rows:\n    schema-pattern: \"app\"\n"
                               "    table-pattern: \"*\"\n    events: [\"delete\"]\n"
                               "    action: Ignore\n");
  create_source_and_start_task(worker, "up", upstream, first_rules);
  auto conn = upstream.connect();
  // Rows first..last of a table, value expression over n.
  auto rows = [](const std::string& table, int first, int last, const std::string& value) {
    return "INSERT INTO " + table + " WITH RECURSIVE s(n) AS (SELECT " + std::to_string(first) +
           " UNION ALL SELECT n + 1 FROM s WHERE n < " + std::to_string(last) + ") SELECT n, " +
           value + " FROM s";
  };
  auto rows_100 = rows("app.t", 1, 100, "CONCAT('v', n)");
  for (auto sql : {"CREATE DATABASE app", "CREATE DATABASE extra",
                   "CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))",
                   rows_100.c_str(),
                   "DELETE FROM app.t WHERE id <= 10",
                   "CREATE TABLE extra.early (id INT PRIMARY KEY)",
                   "INSERT INTO extra.early VALUES (1)"})
    BOOST_REQUIRE_MESSAGE(!conn.execute(sql), sql);
  wait_synced(worker, "r", upstream);
  BOOST_CHECK_EQUAL(row_count(downstream, "app.t"), 100u);  // the deletes were filtered
  auto has_db = [&](const std::string& db) {
    return *downstream.query("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE "
                             "SCHEMA_NAME = '" + db + "'")[0][0] != "0";
  };
  BOOST_CHECK(!has_db("extra"));

  // Second: app and extra, extra routed to extra_routed, no filter.
  auto second_rules = task_yaml("r", {"up"}, downstream,
                                "    block-allow-list: \"bal\"\n"
                                "    route-rules: [\"extra-to-routed\", \"extra-db\"]\n"
                                "block-allow-list:\n  bal:\n    do-dbs: [\"app\", \"extra\"]\n"
                                "routes:\n  extra-to-routed:\n    schema-pattern: \"extra\"\n"
                                "    table-pattern: \"*\"\n    target-schema: \"extra_routed\"\n"
                                "  extra-db:\n    schema-pattern: \"extra\"\n"
                                "    target-schema: \"extra_routed\"\n");
  auto second_file = worker.write_file("second.yaml", second_rules);
  auto running = worker.dmctl({"update-task", second_file});
  BOOST_CHECK_NE(running.exit_code, 0);
  BOOST_CHECK_MESSAGE(running.err.find("is Running; pause it first") != std::string::npos,
                      running.err);

  BOOST_REQUIRE_EQUAL(worker.dmctl({"pause-task", "r"}).exit_code, 0);
  // Written while paused: the new rules must see these (they are after the checkpoint).
  auto rows_50 = rows("extra.late", 1, 50, "n * 7");
  for (auto sql : {"DELETE FROM app.t WHERE id BETWEEN 11 AND 20",
                   "CREATE TABLE extra.late (id INT PRIMARY KEY, v INT)", rows_50.c_str()})
    BOOST_REQUIRE_MESSAGE(!conn.execute(sql), sql);

  // Refused, changing nothing: another task mode; a route naming no target.
  auto mode_change = second_rules;
  mode_change.replace(mode_change.find("task-mode: incremental"), 22, "task-mode: all");
  auto refused = worker.dmctl({"update-task", worker.write_file("mode.yaml", mode_change)});
  BOOST_CHECK_NE(refused.exit_code, 0);
  BOOST_CHECK_MESSAGE(refused.err.find("changes task-mode") != std::string::npos, refused.err);
  auto bad_rule = first_rules;
  bad_rule.replace(bad_rule.find("do-dbs: [\"app\"]"), 15, "do-dbs: [\"~(\"]");
  refused = worker.dmctl({"update-task", worker.write_file("bad.yaml", bad_rule)});
  BOOST_CHECK_NE(refused.exit_code, 0);
  BOOST_CHECK_MESSAGE(refused.err.find("is not a valid regular expression") != std::string::npos,
                      refused.err);
  BOOST_CHECK_MESSAGE(refused.err.find('\n') == refused.err.size() - 1, refused.err);  // one line

  auto updated = worker.dmctl_json({"update-task", second_file});
  BOOST_CHECK_MESSAGE(updated["result"] == true, updated.dump());
  BOOST_CHECK_EQUAL(updated["tasks"][0]["stage"], "Paused");
  std::this_thread::sleep_for(std::chrono::seconds{1});
  BOOST_CHECK(!has_db("extra_routed"));  // nothing applies before resume-task
  // A database newly replicated is the operator's to create (its CREATE DATABASE is history).
  BOOST_REQUIRE(!downstream.connect().execute("CREATE DATABASE extra_routed"));

  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "r"}).exit_code, 0);
  wait_synced(worker, "r", upstream);
  // The deletes after the checkpoint applied; the ones filtered before stay undone.
  BOOST_CHECK_EQUAL(row_count(downstream, "app.t"), 90u);
  BOOST_CHECK_EQUAL(*downstream.query("SELECT COUNT(*) FROM app.t WHERE id BETWEEN 11 AND 20")[0][0],
                    "0");
  BOOST_CHECK_EQUAL(row_count(downstream, "extra_routed.late"), 50u);
  BOOST_CHECK(!has_db("extra"));

  // The new rules are the task's now, also after a worker restart.
  worker.kill();
  worker.start();
  BOOST_REQUIRE(!conn.execute(rows("extra.late", 51, 80, "n")));
  BOOST_REQUIRE(!conn.execute("DELETE FROM app.t WHERE id BETWEEN 21 AND 25"));
  wait_synced(worker, "r", upstream);
  auto sums = [](const mariadb_sandbox& s, const std::string& table) {
    return *s.query("SELECT CONCAT(COUNT(*), '/', SUM(v)) FROM " + table)[0][0];
  };
  BOOST_CHECK_EQUAL(sums(downstream, "extra_routed.late"), sums(upstream, "extra.late"));
  BOOST_CHECK_EQUAL(row_count(downstream, "app.t"), 85u);
}
