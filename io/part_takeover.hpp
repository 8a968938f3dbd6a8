// How a worker of a cluster takes over a task part whose source it now runs (failover or
// transfer-source): the part's checkpoint is the one kept downstream
// (sync/downstream_checkpoint.hpp), and the source's relay starts early enough for every task's
// checkpoint. Blocking: talks to the downstream and the upstream; detached actors call it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "model/config.hpp"
#include "storage/checkpoint_store.hpp"

namespace dm {

namespace storage {
class database;
}

// The checkpoint of `task` (passwords usable) on `source` kept downstream, in the relay keys of
// the worker that wrote it; nullopt when no syncer of this start of the task (its incarnation)
// wrote one there.
caf::expected<std::optional<storage::sync_checkpoint>> downstream_checkpoint(
    const task_config& task, const std::string& source);

// Takes the part over for the owner of `source` under binding `epoch`: raises the fence
// downstream to it (waiting for the old owner's open transactions; refused when a newer owner
// raised it further), then makes the part's downstream checkpoint (when there is one) its
// checkpoint here: placed in this worker's relay segment (the run's apply marks downstream move
// with it), the part's copy counted finished. Answers whether the part has a checkpoint here
// now. Refuses, saying where, a part whose full migration began on another worker and has not
// reached sync (its dump files are that worker's).
caf::expected<bool> take_over_part(const std::shared_ptr<storage::database>& db,
                                   const task_config& task, const std::string& source,
                                   int64_t epoch);

// Where `source`'s relay starts so that `tasks` (passwords usable) go on.
struct relay_start_point {
  // The binlog file to start at (its beginning), and the GTID set executed before the earliest
  // checkpoint (empty when the file was purged: the relay starts by file then).
  std::string file;
  std::string gtid_set;
};

// The start at the earliest of the tasks' downstream checkpoints on `source`; nullopt when none
// has one. When the upstream no longer has that binlog file (SHOW BINARY LOGS), the start is its
// earliest file instead, logged as a warning: the syncers of the tasks whose checkpoint lies
// before it then stop, saying so (the relay does not reach back to their checkpoints). A task
// whose downstream cannot be read does not hold the others up: the start is then the upstream's
// earliest file, which covers any checkpoint the upstream can still serve, logged as a warning
// (that task's part is taken over once its downstream answers).
caf::expected<std::optional<relay_start_point>> relay_start_for(
    const std::vector<task_config>& tasks, const source_config& source);

}  // namespace dm
