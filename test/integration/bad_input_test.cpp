// Bad input to a real worker: each mistake gets one line naming the object and what to do, the
// command fails, and nothing is left half-created.
#define BOOST_TEST_MODULE bad_input
#include <boost/test/unit_test.hpp>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

struct fixture {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;

  // Runs dmctl, expects failure with a one-line message containing `expected`.
  void expect_failure(const std::vector<std::string>& args, const std::string& expected) {
    auto r = worker.dmctl(args);
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find(expected) != std::string::npos,
                        "expected '" << expected << "' in: " << r.err);
    auto lines = std::count(r.err.begin(), r.err.end(), '\n');
    BOOST_CHECK_MESSAGE(lines == 1, "not one line: " << r.err);
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
  expect_failure({"start-task", worker.write_file("t.yaml", "name: t\ntask-mode: incremental\n")},
                 "t.yaml: target-database is required");
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
