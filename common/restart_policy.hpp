// When to try again after a failure: exponential backoff with jitter up to a cap, and a budget
// of failures within a sliding window after which the caller gives up (a task pauses, an applier
// reports its last error). Recovery (the unit did useful work again) forgets both the backoff
// and the failures, so that one long outage of a peer does not use up the budget of the next.
//
// Pure logic: the caller passes the time and the random source, so it is tested without clocks.
// Used by the task (restarting its units), the source (restarting its relay) and the applier
// (retrying a batch).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <random>

namespace dm {

struct restart_settings {
  // The first delay, and the most any delay grows to (each failure doubles it).
  std::chrono::milliseconds first{1000};
  std::chrono::milliseconds max{60000};
  // Each delay is shortened by a random fraction of up to `jitter` (0 = none, 0.5 = up to half),
  // so that units failing together do not retry together.
  double jitter = 0;
  // Giving up: this many failures within `window` (0 failures = never give up).
  size_t max_failures = 0;
  std::chrono::milliseconds window{std::chrono::minutes{10}};
};

class restart_policy {
 public:
  using clock = std::chrono::steady_clock;

  explicit restart_policy(restart_settings settings = {}) : settings_(settings) {}

  // Records a failure at `now`. Returns the delay before the next attempt, or nullopt when the
  // failures within the window reached max_failures (then the caller gives up; the failure is
  // still counted).
  std::optional<std::chrono::milliseconds> on_failure(clock::time_point now,
                                                      std::mt19937_64& random);

  // The unit works again: the next failure starts from the first delay with an empty window.
  void recovered();

  // Failures within the window as of the last on_failure.
  size_t recent_failures() const { return failures_.size(); }

  const restart_settings& settings() const { return settings_; }

 private:
  restart_settings settings_;
  std::chrono::milliseconds backoff_{0};
  std::deque<clock::time_point> failures_;
};

}  // namespace dm
