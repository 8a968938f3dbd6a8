// Scatter-gather: one request to many actors, one callback with every answer. The worker asks
// its task parts and sources this way (status, pause, resume, handle-error, update-task).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>

namespace dm {

// What came back from one fan-out: each target's result or error, tagged with its key, in the
// order the answers arrived.
template <class Key, class Result>
struct fan_in {
  std::vector<std::pair<Key, Result>> results;
  std::vector<std::pair<Key, caf::error>> errors;
};

// Sends `xs...` to every target (key, handle) and calls `done(fan_in<Key, Result>)` on `self`
// once each answered or failed (a target that does not answer within `timeout` fails). With no
// targets, `done` runs at once.
template <class Result, class Self, class Key, class Handle, class Done, class... Ts>
void fan_out(Self* self, const std::vector<std::pair<Key, Handle>>& targets,
             std::chrono::milliseconds timeout, Done done, Ts... xs) {
  struct pending {
    fan_in<Key, Result> answers;
    size_t waiting = 0;
    Done done;
  };
  auto acc = std::make_shared<pending>(pending{{}, targets.size(), std::move(done)});
  if (targets.empty()) {
    acc->done(std::move(acc->answers));
    return;
  }
  auto finish_one = [acc] {
    if (--acc->waiting == 0) acc->done(std::move(acc->answers));
  };
  for (auto& [key, handle] : targets)
    self->request(handle, timeout, xs...)
        .then(
            [acc, finish_one, key = key](Result& r) mutable {
              acc->answers.results.emplace_back(key, std::move(r));
              finish_one();
            },
            [acc, finish_one, key = key](caf::error& err) mutable {
              acc->answers.errors.emplace_back(key, std::move(err));
              finish_one();
            });
}

}  // namespace dm
