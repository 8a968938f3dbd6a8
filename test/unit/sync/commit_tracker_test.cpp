// Commit tracking: a boundary is safe once every batch opened before it committed.
#include <boost/test/unit_test.hpp>

#include "sync/commit_tracker.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(commit_tracker_test)

BOOST_AUTO_TEST_CASE(checkpoints_wait_for_every_earlier_batch) {
  commit_tracker<int> t;
  auto b1 = t.open_batch();
  t.boundary(10);
  auto b2 = t.open_batch();
  t.boundary(20);
  t.committed(b2);
  BOOST_CHECK(!t.take_safe());  // b1 still out
  t.committed(b1);
  auto safe = t.take_safe();
  BOOST_REQUIRE(safe);
  BOOST_CHECK_EQUAL(*safe, 20);
  t.boundary(30);  // nothing in flight: safe at once
  BOOST_CHECK_EQUAL(t.take_safe().value_or(0), 30);
  BOOST_CHECK(t.idle());
}

BOOST_AUTO_TEST_SUITE_END()
