// Configs survive their JSON form (how the worker persists them).
#include <boost/test/unit_test.hpp>

#include "model/config_json.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(config_json_test)

BOOST_AUTO_TEST_CASE(configs_survive_the_json_round_trip) {
  task_config t;
  t.name = "t";
  t.target_database.port = 4000;
  mysql_instance inst;
  inst.source_id = "s";
  inst.meta.binlog_name = "bin.000001";
  inst.syncer.worker_count = 3;
  t.mysql_instances.push_back(inst);
  auto back = task_config_from_json(to_json(t));
  BOOST_REQUIRE(back);
  BOOST_CHECK_EQUAL(back->target_database.port, 4000);
  BOOST_CHECK_EQUAL(back->mysql_instances.at(0).syncer.worker_count, 3u);
  // Records written by an older version (fewer fields) still load.
  auto old = source_config_from_json(R"({"source_id": "s", "from": {"host": "h"}})");
  BOOST_REQUIRE(old);
  BOOST_CHECK_EQUAL(old->from.port, 3306);
  BOOST_CHECK(!source_config_from_json("not json"));
}

BOOST_AUTO_TEST_SUITE_END()
