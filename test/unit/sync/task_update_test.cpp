// update-task may change a task's rules and nothing else.
#include <boost/test/unit_test.hpp>

#include "sync/task_update.hpp"
#include "common/error.hpp"

using namespace dm;

namespace {

task_config two_source_task() {
  task_config t;
  t.name = "t";
  t.task_mode = task_mode::all;
  t.target_database.host = "10.0.0.9";
  t.target_database.password = "secret-pw";
  for (auto id : {"a", "b"}) {
    mysql_instance inst;
    inst.source_id = id;
    inst.block_allow.do_dbs = {"app"};
    t.mysql_instances.push_back(inst);
  }
  return t;
}

// The refusal's text, or "" when the update is allowed.
std::string refusal(const task_config& running, const task_config& updated) {
  auto err = check_rules_only_update(running, updated);
  if (!err) return "";
  BOOST_CHECK(code_of(err) == ec::invalid_argument);
  return describe(err);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task_update_test)

BOOST_AUTO_TEST_CASE(rules_of_every_instance_may_change) {
  auto running = two_source_task();
  auto updated = running;
  updated.mysql_instances[0].block_allow.do_dbs = {"app", "extra"};
  updated.mysql_instances[1].routes.push_back({"extra", "*", "extra_routed", "", {}, {}, {}});
  updated.mysql_instances[1].filters.push_back({"no-drop", "*", "*", {"drop table"}, {}, "Ignore"});
  BOOST_CHECK_EQUAL(refusal(running, updated), "");
  // Instances may come in another order.
  std::swap(updated.mysql_instances[0], updated.mysql_instances[1]);
  BOOST_CHECK_EQUAL(refusal(running, updated), "");
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused_by_its_name_without_values) {
  auto running = two_source_task();
  struct change {
    const char* named;
    void (*apply)(task_config&);
  };
  const change changes[] = {
      {"task-mode", [](task_config& t) { t.task_mode = task_mode::incremental; }},
      {"meta-schema", [](task_config& t) { t.meta_schema = "other_meta"; }},
      {"target-database", [](task_config& t) { t.target_database.password = "new-pw"; }},
      {"ignore-checking-items", [](task_config& t) { t.ignore_checking_items = {"all"}; }},
      {"the sources it names", [](task_config& t) { t.mysql_instances.pop_back(); }},
      {"the sources it names", [](task_config& t) { t.mysql_instances[1].source_id = "c"; }},
      {"source a: meta", [](task_config& t) { t.mysql_instances[0].meta.binlog_pos = 1234; }},
      {"source b: syncer settings",
       [](task_config& t) { t.mysql_instances[1].syncer.worker_count = 64; }},
      {"source a: load settings", [](task_config& t) { t.mysql_instances[0].loader.pool_size = 1; }},
  };
  for (auto& c : changes) {
    auto updated = running;
    c.apply(updated);
    auto text = refusal(running, updated);
    BOOST_CHECK_MESSAGE(text.find(std::string{"changes "} + c.named) != std::string::npos,
                        c.named << ": " << text);
    BOOST_CHECK_MESSAGE(text.find("stop the task and start it again") != std::string::npos, text);
    BOOST_CHECK_MESSAGE(text.find("pw") == std::string::npos, "a value leaked: " << text);
  }
}

BOOST_AUTO_TEST_SUITE_END()
