// The worker's shard DDL locks (shard-mode: pessimistic), for the tasks whose sources all run on
// this worker: the book of sync/shard_locks.hpp behind the interface of interfaces.hpp
// (shard_coordinator_actor). Every change of a task's locks is written to the meta store
// (synced) before anyone is answered, so locks survive restarts and crashes; the shard tables
// of each source are not stored: its syncer lists them again when it starts.
//
// A lock waiting longer than `report_after` seconds is reported: a warning in the log naming
// the shards it waits for (again every `report_after`), the metrics dm_shard_lock_waiting_seconds
// and dm_shard_lock_awaited_shards {task, lock}, and overdue in query-status and show-ddl-locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "actors/interfaces.hpp"

namespace dm {

namespace storage {
class database;
}

// Spawns the coordinator (detached: it writes RocksDB synced) and registers it in the actor
// system, where the syncers find it (find_shard_coordinator).
shard_coordinator_actor spawn_shard_coordinator(caf::local_actor* parent,
                                                std::shared_ptr<storage::database> db,
                                                int64_t report_after, std::string worker_name);

// The coordinator registered in `system`, or an invalid handle when there is none.
shard_coordinator_actor find_shard_coordinator(caf::actor_system& system);

}  // namespace dm
