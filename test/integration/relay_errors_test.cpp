// Upstreams the relay cannot follow: each mistake shows as one clear error in the source's
// status (with what to do), transient ones are retried until they go away, and nothing is lost.
#define BOOST_TEST_MODULE relay_errors
#include <boost/test/unit_test.hpp>

#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

// Creates a source on `upstream` and waits until its relay reports an error containing
// `expected`; returns the status.
nlohmann::json expect_relay_error(const worker_process& worker, const mariadb_sandbox& upstream,
                                  const std::string& expected, const std::string& extra = "",
                                  const std::string& user = "root") {
  auto yaml = source_yaml("src", upstream, extra);
  if (user != "root") yaml.replace(yaml.find("user: \"root\""), 12, "user: \"" + user + "\"");
  auto created = worker.dmctl({"operate-source", "create", worker.write_file("s.yaml", yaml)});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  nlohmann::json source;
  for (int i = 0; i < 100; ++i) {
    source = worker.dmctl_json({"operate-source", "show", "-s", "src"})["sources"][0];
    auto error = source["relay"]["last_error"].get<std::string>();
    if (error.find(expected) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  auto error = source["relay"]["last_error"].get<std::string>();
  BOOST_CHECK_MESSAGE(error.find(expected) != std::string::npos, source.dump());
  BOOST_CHECK_MESSAGE(error.find('\n') == std::string::npos, "not one line: " << error);
  // The same error reaches query-status.
  auto status = worker.dmctl_json({"query-status"});
  BOOST_CHECK_EQUAL(status["sources"][0]["relay"]["last_error"].get<std::string>(), error);
  return source;
}

}  // namespace

BOOST_AUTO_TEST_CASE(binlog_disabled) {
  auto opts = sandbox_options::with_server_id(1);
  opts.log_bin = false;
  mariadb_sandbox upstream{opts};
  worker_process worker;
  auto s = expect_relay_error(worker, upstream, "binary logging is off; start the server with --log-bin");
  BOOST_CHECK_EQUAL(s["relay"]["stage"], "Paused");
}

BOOST_AUTO_TEST_CASE(binlog_format_not_row) {
  auto opts = sandbox_options::with_server_id(1);
  opts.binlog_format = "STATEMENT";
  mariadb_sandbox upstream{opts};
  worker_process worker;
  auto s = expect_relay_error(worker, upstream, "binlog_format is STATEMENT; set binlog_format=ROW");
  BOOST_CHECK_EQUAL(s["relay"]["stage"], "Paused");
}

BOOST_AUTO_TEST_CASE(start_position_already_purged_upstream) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  upstream.execute("FLUSH BINARY LOGS; FLUSH BINARY LOGS");
  // MariaDB keeps files until its binlog checkpoint has passed them: purge until they are gone.
  for (int i = 0; i < 100; ++i) {
    upstream.execute("PURGE BINARY LOGS TO 'binlog.000003'");
    if (*upstream.query("SHOW BINARY LOGS")[0][0] == "binlog.000003") break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  BOOST_REQUIRE_EQUAL(*upstream.query("SHOW BINARY LOGS")[0][0], "binlog.000003");
  worker_process worker;
  auto s = expect_relay_error(worker, upstream, "re-create the source from a binlog it still has",
                              "relay-binlog-name: binlog.000001\n");
  BOOST_CHECK_EQUAL(s["relay"]["stage"], "Paused");
  BOOST_CHECK(s["relay"]["last_error"].get<std::string>().find("[1236]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_replication_slave_privilege) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  upstream.execute("CREATE USER 'reader'@'%'; GRANT SELECT, REPLICATION CLIENT ON *.* TO "
                   "'reader'@'%'");
  worker_process worker;
  auto s = expect_relay_error(worker, upstream, "GRANT REPLICATION SLAVE", "", "reader");
  BOOST_CHECK_EQUAL(s["relay"]["stage"], "Paused");
}

BOOST_AUTO_TEST_CASE(server_id_taken_by_another_replica) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox other{sandbox_options::with_server_id(77)};
  other.execute("CHANGE MASTER TO master_host='127.0.0.1', master_port=" +
                std::to_string(upstream.port()) + ", master_user='root'; START SLAVE");
  for (int i = 0; i < 100 && upstream.query("SHOW SLAVE HOSTS").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  worker_process worker;
  expect_relay_error(worker, upstream, "server-id 77 is already used by replica",
                     "server-id: 77\n");
}

BOOST_AUTO_TEST_CASE(unreachable_upstream_is_retried_until_it_returns) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  BOOST_REQUIRE_EQUAL(worker.dmctl({"operate-source", "create",
                                    worker.write_file("s.yaml", source_yaml("src", upstream))})
                          .exit_code,
                      0);
  BOOST_REQUIRE_EQUAL(
      worker.dmctl({"start-task", worker.write_file("t.yaml", task_yaml("t", {"src"}, downstream))})
          .exit_code,
      0);
  upstream.execute("CREATE DATABASE r; CREATE TABLE r.t (id INT PRIMARY KEY)");
  wait_synced(worker, "t", upstream);
  upstream.stop();
  nlohmann::json source;
  for (int i = 0; i < 100; ++i) {
    source = worker.dmctl_json({"operate-source", "show", "-s", "src"})["sources"][0];
    if (source["relay"]["last_error"].get<std::string>().find("upstream server runs") !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  BOOST_CHECK_MESSAGE(source["relay"]["stage"] == "Connecting", source.dump());
  BOOST_CHECK_MESSAGE(
      source["relay"]["last_error"].get<std::string>().find("check that the upstream server runs") !=
          std::string::npos,
      source.dump());
  upstream.start();
  upstream.execute("INSERT INTO r.t VALUES (1), (2)");
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "r");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
}
