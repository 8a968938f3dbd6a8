// Incremental replication end to end: a real upstream and downstream MariaDB, a real dm-worker
// driven by dmctl; 10,000 mixed changes must arrive exactly, and again after a SIGKILL of the
// worker with 1,000 more changes written while it was down.
#define BOOST_TEST_MODULE incremental_sync
#include <boost/test/unit_test.hpp>

#include "test/support/harness.hpp"
#include "test/support/workload.hpp"

using namespace dm::test;

BOOST_AUTO_TEST_CASE(mixed_changes_arrive_exactly_and_survive_sigkill) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;

  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("source.yaml", source_yaml("up", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto started = worker.dmctl(
      {"start-task", worker.write_file("task.yaml", task_yaml("sync", {"up"}, downstream))});
  BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);

  // Where the relay starts: the upstream's position when the source was created.
  auto relay_start = master_position(upstream);
  mixed_workload workload{"shop", 20261121};
  auto conn = upstream.connect();
  BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
  workload.run(conn, 10000);
  wait_synced(worker, "sync", upstream);
  auto diff = compare_database(upstream, downstream, "shop");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_TEST_MESSAGE("after 10,000 changes: orders " << row_count(upstream, "shop.orders")
                                                     << " rows, identical");

  worker.kill();
  workload.run(conn, 1000);
  worker.start();
  wait_synced(worker, "sync", upstream);
  diff = compare_database(upstream, downstream, "shop");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);

  // The relay log is the upstream binlog, event for event (read while the worker runs).
  size_t events = 0;
  auto relay_diff = compare_relay_with_upstream(worker, "up", upstream, relay_start.first,
                                                relay_start.second, &events);
  BOOST_CHECK_MESSAGE(relay_diff.empty(), relay_diff);
  BOOST_TEST_MESSAGE("relay log equals the upstream binlog over " << events << " events");
}
