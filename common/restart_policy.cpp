#include "common/restart_policy.hpp"

#include <algorithm>

namespace dm {

std::optional<std::chrono::milliseconds> restart_policy::on_failure(clock::time_point now,
                                                                     std::mt19937_64& random) {
  failures_.push_back(now);
  while (!failures_.empty() && now - failures_.front() > settings_.window) failures_.pop_front();
  if (settings_.max_failures > 0 && failures_.size() >= settings_.max_failures)
    return std::nullopt;
  backoff_ = backoff_.count() == 0 ? settings_.first : std::min(settings_.max, backoff_ * 2);
  auto delay = backoff_;
  if (settings_.jitter > 0) {
    std::uniform_real_distribution<double> fraction{0.0, std::min(settings_.jitter, 1.0)};
    delay -= std::chrono::milliseconds{
        static_cast<int64_t>(static_cast<double>(delay.count()) * fraction(random))};
  }
  return delay;
}

void restart_policy::recovered() {
  backoff_ = std::chrono::milliseconds{0};
  failures_.clear();
}

}  // namespace dm
