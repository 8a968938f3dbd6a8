// Bad input to a real worker: each mistake gets one line naming the object and what to do, the
// command fails, and nothing is left half-created.
#define BOOST_TEST_MODULE bad_input
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

struct fixture {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;

  // Runs dmctl, expects failure with a message of `lines` lines (one per problem) containing
  // `expected`.
  void expect_failure(const std::vector<std::string>& args, const std::string& expected,
                      long lines = 1) {
    auto r = worker.dmctl(args);
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find(expected) != std::string::npos,
                        "expected '" << expected << "' in: " << r.err);
    auto got = std::count(r.err.begin(), r.err.end(), '\n');
    BOOST_CHECK_MESSAGE(got == lines, "not " << lines << " line(s): " << r.err);
  }

  void expect_nothing_created() {
    auto sources = worker.dmctl_json({"operate-source", "show"});
    BOOST_CHECK_MESSAGE(sources["sources"].empty(), sources.dump());
    auto status = worker.dmctl_json({"query-status"});
    BOOST_CHECK_MESSAGE(status["tasks"].empty(), status.dump());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(bad_configs_are_rejected_before_anything_is_created, fixture) {
  expect_failure({"operate-source", "create",
                  worker.write_file("typo.yaml", source_yaml("s", upstream) + "purg: {}\n")},
                 "typo.yaml: purg is not a known key");
  expect_failure({"operate-source", "create", worker.write_file("broken.yaml", "from: [\n")},
                 "broken.yaml: invalid YAML at line");
  expect_failure({"operate-source", "create", worker.dir() + "/missing.yaml"},
                 "cannot read file");
  // Every problem of the file at once.
  expect_failure({"start-task", worker.write_file("t.yaml", "name: t\ntask-mode: incremental\n")},
                 "dmctl: t.yaml: target-database is required\n"
                 "t.yaml: mysql-instances must list at least one source",
                 2);
  expect_nothing_created();
}

BOOST_FIXTURE_TEST_CASE(unreachable_upstream_and_wrong_password_create_no_source, fixture) {
  auto unreachable = source_yaml("far", upstream);
  unreachable.replace(unreachable.find(std::to_string(upstream.port())),
                      std::to_string(upstream.port()).size(), std::to_string(free_port()));
  expect_failure({"operate-source", "create", worker.write_file("far.yaml", unreachable)},
                 "source far was not created: upstream of source far");
  auto wrong = source_yaml("locked", upstream);
  wrong.replace(wrong.find("password: \"\""), 12, "password: \"nope\"");
  expect_failure({"operate-source", "create", worker.write_file("locked.yaml", wrong)},
                 "[1045] Access denied");
  expect_nothing_created();
}

BOOST_FIXTURE_TEST_CASE(task_naming_an_unknown_source_is_not_started, fixture) {
  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("s.yaml", source_yaml("known", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  expect_failure({"start-task", worker.write_file(
                                    "t.yaml", task_yaml("t", {"known", "ghost"}, downstream))},
                 "task t names source ghost");
  auto status = worker.dmctl_json({"query-status"});
  BOOST_CHECK(status["tasks"].empty());
  // A task whose downstream refuses the login is not started either.
  auto wrong = task_yaml("t2", {"known"}, downstream);
  wrong.replace(wrong.find("password: \"\""), 12, "password: \"nope\"");
  expect_failure({"start-task", worker.write_file("t2.yaml", wrong)},
                 "task t2 was not started: precheck failed: downstream_connection (source "
                 "known): downstream of task t2");
  status = worker.dmctl_json({"query-status"});
  BOOST_CHECK(status["tasks"].empty());
  expect_failure({"query-status", "nosuch"}, "task nosuch does not exist");
  expect_failure({"stop-task", "nosuch"}, "task nosuch does not exist");
  expect_failure({"operate-source", "stop", "nosuch"}, "source nosuch does not exist");
}

// Mistakes whose first symptom points elsewhere are named by their real cause: an unreadable
// TLS file (not "check the statement"), a MySQL GTID set for a MariaDB upstream (not "[1047]
// Unknown command"), a second worker on a data-dir in use (not "check the disk space").
BOOST_FIXTURE_TEST_CASE(each_mistake_is_named_by_its_real_cause, fixture) {
  auto tls = source_yaml("tls", upstream, "  security:\n    ssl-ca: \"/nonexistent/ca.pem\"\n");
  expect_failure({"operate-source", "create", worker.write_file("tls.yaml", tls)},
                 "TLS file /nonexistent/ca.pem (ssl-ca) cannot be read");

  auto gtid = source_yaml("mysql_gtid", upstream,
                          "enable-gtid: true\n"
                          "relay-binlog-gtid: \"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5\"\n");
  auto created = worker.dmctl({"operate-source", "create", worker.write_file("g.yaml", gtid)});
  std::string relay_error;
  if (created.exit_code != 0) {
    relay_error = created.err;
  } else {
    for (int i = 0; i < 300 && relay_error.empty(); ++i) {
      auto shown = worker.dmctl_json({"operate-source", "show", "mysql_gtid"});
      relay_error = shown["sources"][0]["relay"]["last_error"].get<std::string>();
      if (relay_error.empty()) std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  }
  BOOST_CHECK_MESSAGE(relay_error.find("is MySQL's") != std::string::npos &&
                          relay_error.find("the upstream is MariaDB") != std::string::npos,
                      relay_error);

  worker_options second;
  second.name = "worker-2";
  second.data_dir = worker.data_dir();
  try {
    worker_process again{second};
    BOOST_ERROR("a second worker started on a data-dir in use");
  } catch (const std::runtime_error& e) {
    std::string why = e.what();
    BOOST_CHECK_MESSAGE(why.find("in use by another process") != std::string::npos &&
                            why.find("disk space") == std::string::npos,
                        why);
  }
}
