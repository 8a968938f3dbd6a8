// The stage of a task kept in etcd (stages/<t>): what dmctl writes is what the workers read,
// and only for the start of the task it was written for.
#include <boost/test/unit_test.hpp>

#include "io/cluster_store.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(cluster_store_test)

BOOST_AUTO_TEST_CASE(a_task_stage_reads_back_only_for_the_run_it_was_written_for) {
  auto value = task_stage_value(41, {"s1", "s3"});
  auto paused = task_stage_paused(value, 41);
  BOOST_REQUIRE(paused);
  BOOST_CHECK((*paused == std::vector<std::string>{"s1", "s3"}));
  // Another start of a task of the same name (another create revision): not its stage.
  BOOST_CHECK(!task_stage_paused(value, 42));
  auto resumed = task_stage_paused(task_stage_value(7, {}), 7);
  BOOST_REQUIRE(resumed);
  BOOST_CHECK(resumed->empty());
  for (auto* bad : {"", "{", "[]", "{\"run\": \"41\", \"paused\": []}", "{\"run\": 41}",
                    "{\"run\": 41, \"paused\": \"s1\"}"})
    BOOST_CHECK_MESSAGE(!task_stage_paused(bad, 41), bad);
}

BOOST_AUTO_TEST_SUITE_END()
