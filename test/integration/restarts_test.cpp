// The worker rides out its peers' restarts: a downstream that goes away for a while (the task
// retries with backoff and catches up) and an upstream restarted mid-stream (the relay
// reconnects by itself). Then stop-task and operate-source stop remove everything. A task the
// operator paused applies nothing, stays paused across a worker restart, and resumes exactly.
#define BOOST_TEST_MODULE restarts
#include <boost/test/unit_test.hpp>

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
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(downstream_and_upstream_restarts_lose_nothing, replication) {
  mixed_workload workload{"app", 7};
  {
    auto conn = upstream.connect();
    BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
    workload.run(conn, 2000);
  }
  wait_synced(worker, "t", upstream);

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
