// Hands row changes to appliers and decides what may be checkpointed: the part of the syncer
// that guarantees exactly-once delivery, as plain logic without CAF.
//
// - Causality: a change goes to the applier that holds any of its keys (causality.hpp); a change
//   whose keys two appliers hold waits (conflict).
// - Credits: each applier has a fixed number of batches in flight; a full batch waits for credit.
// - Memory budget: while the estimated bytes of changes not yet committed exceed the budget, no
//   change is taken.
// - Commit tracking: a transaction boundary is safe to checkpoint once every batch opened before
//   it committed, in whatever order appliers finish (commit_tracker.hpp).
// - Apply marks: a change of a serial group at or before the group's mark was applied before an
//   unclean stop and is skipped (apply_marks.hpp).
// - High-water mark: no change leaves beyond the persisted mark; before one would, the mark moves
//   past the relay head and must be persisted first (raise_high_water).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/messages.hpp"
#include "sync/causality.hpp"
#include "sync/commit_tracker.hpp"

namespace dm {

// A checkpoint candidate: the position after a transaction boundary.
struct sync_position {
  relay_key next;
  binlog_position position;
  std::string gtid_set;
  uint32_t event_time = 0;
};

struct dispatch_settings {
  uint32_t appliers = 1;
  // Batches each applier may have in flight.
  uint32_t credits = 2;
  // Row changes per batch (a batch is sent when full, or when the syncer flushes).
  size_t batch_rows = 100;
  // Estimated bytes of row changes not yet committed, beyond which nothing more is taken.
  size_t memory_budget = size_t{256} << 20;
};

class dispatcher {
 public:
  explicit dispatcher(dispatch_settings settings);

  enum class verdict {
    // The change is in an applier's open batch.
    taken,
    // The change is of a serial group and was applied before the last stop (its mark): dropped.
    skipped,
    // Wait for an acknowledgement: the applier's batch is full and it has no credit,
    wait_credit,
    // two appliers hold the change's keys,
    wait_conflict,
    // or the memory budget is used up. For conflict and memory, flush what is open first.
    wait_memory,
  };

  // Offers a change with its causality keys (sorted, unique; one serial_group_key for a group).
  // On a wait verdict nothing changes and `job` is left as it was, to be offered again later.
  verdict offer(row_job& job, const std::vector<std::string>& keys);

  // Batches to send now: each applier's open batch that is full, or (with `flush`) not empty,
  // while the applier has credit. Each takes a credit. The caller sends them in this order.
  std::vector<std::pair<uint32_t, job_batch>> take_sendable(bool flush);

  // Applier `applier`'s open batch, if it is not empty and the applier has credit (sent as soon
  // as a batch commits, so that an applier is never idle while changes wait for it).
  std::optional<job_batch> take_open(uint32_t applier);

  // Applier `applier` committed batch `seq`: its credit returns and its keys are released.
  // Returns the rows it held.
  size_t acknowledge(uint32_t applier, uint64_t seq);

  // A transaction boundary after everything offered so far.
  void boundary(sync_position position) { commits_.boundary(std::move(position)); }
  // The newest boundary all of whose changes committed, if one became safe since the last call.
  std::optional<sync_position> take_safe() { return commits_.take_safe(); }

  // The marks of an unclean stop's run (apply_marks.hpp), by group.
  void set_apply_marks(std::map<std::string, change_origin> marks) { marks_ = std::move(marks); }
  // Whether `origin` of `group` was applied before the last stop (then it is skipped).
  bool applied_before(const std::string& group, const change_origin& origin) const;

  // Nothing open and nothing in flight.
  bool idle() const { return commits_.idle(); }
  size_t bytes_in_flight() const { return bytes_in_flight_; }
  uint32_t credits(uint32_t applier) const { return credits_.at(applier); }

 private:
  struct flight {
    uint32_t applier = 0;
    std::vector<std::string> keys;
    size_t rows = 0;
    size_t bytes = 0;
  };

  dispatch_settings settings_;
  causality causes_;
  commit_tracker<sync_position> commits_;
  std::vector<uint32_t> credits_;
  std::vector<job_batch> open_;
  std::unordered_map<uint64_t, flight> in_flight_;
  size_t bytes_in_flight_ = 0;
  std::map<std::string, change_origin> marks_;
};

// The estimated bytes a row change holds while in flight.
size_t estimated_bytes(const row_job& job);

// The high-water mark to persist before a batch leaves with the cursor at `cursor`: when the
// cursor reached the persisted `mark`, a new mark `step` bytes past the relay head (the syncer
// persists it, synced, before sending); nullopt while the cursor is below the mark.
std::optional<relay_key> raise_high_water(const relay_key& cursor, const relay_key& mark,
                                          const relay_key& relay_head, uint32_t step);

}  // namespace dm
