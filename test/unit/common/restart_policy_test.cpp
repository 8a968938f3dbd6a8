// The one restart policy of tasks, sources, appliers and the worker: exponential backoff with
// jitter up to a cap, a failure budget in a sliding window, and recovery.
#include <boost/test/unit_test.hpp>

#include <set>

#include "common/restart_policy.hpp"

using namespace dm;
using std::chrono::milliseconds;

namespace {

restart_settings settings(double jitter = 0, size_t max_failures = 0) {
  restart_settings s;
  s.first = milliseconds{100};
  s.max = milliseconds{1000};
  s.jitter = jitter;
  s.max_failures = max_failures;
  s.window = std::chrono::minutes{1};
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(restart_policy_test)

BOOST_AUTO_TEST_CASE(delays_double_up_to_the_cap) {
  restart_policy p{settings()};
  std::mt19937_64 random{1};
  auto t = restart_policy::clock::now();
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(p.on_failure(t, random)->count());
  BOOST_CHECK((delays == std::vector<int64_t>{100, 200, 400, 800, 1000, 1000}));
}

BOOST_AUTO_TEST_CASE(jitter_only_shortens_and_stays_within_its_fraction) {
  restart_policy p{settings(0.5)};
  std::mt19937_64 random{7};
  auto t = restart_policy::clock::now();
  std::set<int64_t> seen;
  for (int i = 0; i < 4; ++i) {
    auto full = std::min<int64_t>(1000, 100 << i);
    auto d = p.on_failure(t, random)->count();
    BOOST_CHECK_LE(d, full);
    BOOST_CHECK_GE(d, full / 2);
    seen.insert(d * 1000 / full);
  }
  BOOST_CHECK_GT(seen.size(), 1u);  // not the same fraction every time
}

BOOST_AUTO_TEST_CASE(too_many_failures_in_the_window_give_up_and_old_ones_are_forgotten) {
  struct row {
    const char* what;
    std::vector<int> seconds;  // failure times
    std::vector<bool> retried;
  };
  const std::vector<row> table = {
      {"three quick failures: the third gives up", {0, 1, 2}, {true, true, false}},
      {"spread over more than the window: never", {0, 40, 80, 120}, {true, true, true, true}},
      {"the first leaves the window before the third", {0, 50, 61}, {true, true, true}},
  };
  for (auto& r : table) {
    restart_policy p{settings(0, 3)};
    std::mt19937_64 random{3};
    auto start = restart_policy::clock::now();
    for (size_t i = 0; i < r.seconds.size(); ++i) {
      auto d = p.on_failure(start + std::chrono::seconds{r.seconds[i]}, random);
      BOOST_CHECK_MESSAGE(d.has_value() == r.retried[i], r.what << ", failure " << i);
    }
  }
}

BOOST_AUTO_TEST_CASE(recovery_starts_over_with_the_first_delay_and_an_empty_budget) {
  restart_policy p{settings(0, 3)};
  std::mt19937_64 random{5};
  auto t = restart_policy::clock::now();
  p.on_failure(t, random);
  p.on_failure(t, random);
  p.recovered();
  BOOST_CHECK_EQUAL(p.recent_failures(), 0u);
  auto d = p.on_failure(t, random);
  BOOST_REQUIRE(d);
  BOOST_CHECK_EQUAL(d->count(), 100);
  BOOST_CHECK(p.on_failure(t, random).has_value());  // 2 of 3
}

BOOST_AUTO_TEST_SUITE_END()
