// Progress records of the units of each (task, source): where the syncer resumes, and how far
// it may have gone before an unclean stop.
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "common/position.hpp"
#include "storage/keys.hpp"

namespace dm::storage {

class database;

struct sync_checkpoint {
  // Relay key of the first event not yet applied downstream; always a transaction boundary.
  relay_key next;
  // The upstream position of `next` and the GTID set executed before it.
  binlog_position position;
  std::string gtid_set;
  // High-water mark: no event at or beyond this key has been sent downstream. After an unclean
  // stop, events in [next, safe_until) are replayed in safe mode.
  relay_key safe_until;
  // Set by an orderly stop: then nothing beyond `next` was applied and replay is not needed.
  bool clean_stop = false;
  // The run this checkpoint belongs to (a random number made when the syncer first starts from
  // it; 0 before): downstream marks of other runs are not this checkpoint's.
  uint64_t run = 0;
};

class checkpoint_store {
 public:
  explicit checkpoint_store(std::shared_ptr<database> db) : db_(std::move(db)) {}

  caf::expected<std::optional<sync_checkpoint>> load_sync(std::string_view task,
                                                          std::string_view source) const;
  // Writes the checkpoint; `sync` also waits for the disk (used at DDL and at stop).
  caf::error save_sync(std::string_view task, std::string_view source, const sync_checkpoint& cp,
                       bool sync);
  // The sync checkpoints of every task on `source`, with the task names.
  caf::expected<std::vector<std::pair<std::string, sync_checkpoint>>> list_for_source(
      std::string_view source) const;

  // Removes every checkpoint of `task`.
  caf::error erase_task(std::string_view task);
  // Removes every checkpoint of `task` on `source` (stop-task -s).
  caf::error erase_part(std::string_view task, std::string_view source);

 private:
  std::shared_ptr<database> db_;
};

}  // namespace dm::storage
