// Decides how far the syncer may checkpoint while batches are in flight on several appliers.
// Pure logic, no CAF.
//
// Batches get increasing sequence numbers when they are opened. A transaction boundary seen
// after batch N is safe to checkpoint once every batch up to N has committed, whatever the
// order the appliers finish in.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <utility>

namespace dm {

template <class Position>
class commit_tracker {
 public:
  // Opens a batch and returns its sequence number; it counts as outstanding until committed().
  uint64_t open_batch() {
    auto seq = ++last_seq_;
    outstanding_.insert(seq);
    return seq;
  }

  // The batch committed downstream.
  void committed(uint64_t seq) { outstanding_.erase(seq); }

  // A transaction boundary after every batch opened so far.
  void boundary(Position pos) { boundaries_.emplace_back(last_seq_, std::move(pos)); }

  // The newest boundary whose batches have all committed, if one became safe since the last
  // call; it is removed together with every older one.
  std::optional<Position> take_safe() {
    std::optional<Position> safe;
    auto low = outstanding_.empty() ? last_seq_ + 1 : *outstanding_.begin();
    while (!boundaries_.empty() && boundaries_.front().first < low) {
      safe = std::move(boundaries_.front().second);
      boundaries_.pop_front();
    }
    return safe;
  }

  bool idle() const { return outstanding_.empty(); }
  size_t outstanding() const { return outstanding_.size(); }

 private:
  uint64_t last_seq_ = 0;
  std::set<uint64_t> outstanding_;
  std::deque<std::pair<uint64_t, Position>> boundaries_;
};

}  // namespace dm
