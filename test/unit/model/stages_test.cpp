// Every stage, unit, mode and decision survives to_string / from_string, and nothing else is
// read as one.
#include <boost/test/unit_test.hpp>

#include "model/stages.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(stages_test)

BOOST_AUTO_TEST_CASE(names_round_trip_and_strangers_are_refused) {
  for (auto x : {task_stage::running, task_stage::paused, task_stage::finished,
                 task_stage::stopped, task_stage::stopping, task_stage::unknown})
    BOOST_CHECK(task_stage_from(to_string(x)) == x);
  for (auto x : {task_unit::dump, task_unit::load, task_unit::sync, task_unit::finished})
    BOOST_CHECK(task_unit_from(to_string(x)) == x);
  for (auto x : {relay_stage::connecting, relay_stage::running, relay_stage::paused,
                 relay_stage::stopped, relay_stage::unknown})
    BOOST_CHECK(relay_stage_from(to_string(x)) == x);
  for (auto x : {task_mode::full, task_mode::incremental, task_mode::all})
    BOOST_CHECK(task_mode_from(to_string(x)) == x);
  for (auto x : {error_action::skip, error_action::replace})
    BOOST_CHECK(error_action_from(to_string(x)) == x);
  for (auto x : {dump_consistency::flush, dump_consistency::none})
    BOOST_CHECK(dump_consistency_from(to_string(x)) == x);
  for (auto x : {on_duplicate::replace, on_duplicate::ignore, on_duplicate::error})
    BOOST_CHECK(on_duplicate_from(to_string(x)) == x);
  // The spellings query-status and task files use, exactly.
  BOOST_CHECK_EQUAL(to_string(task_stage::running), std::string{"Running"});
  BOOST_CHECK_EQUAL(to_string(task_mode::incremental), std::string{"incremental"});
  for (auto* stranger : {"", "running", "RUNNING", "Run", "skip "})
    BOOST_CHECK(!task_stage_from(stranger) && !error_action_from(stranger));
  BOOST_CHECK(copies(task_mode::all) && copies(task_mode::full) && !copies(task_mode::incremental));
  BOOST_CHECK(syncs(task_mode::all) && syncs(task_mode::incremental) && !syncs(task_mode::full));
}

BOOST_AUTO_TEST_SUITE_END()
