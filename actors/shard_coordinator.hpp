// The worker's shard DDL locks (shard-mode: pessimistic): the book of sync/shard_locks.hpp behind
// the interface of interfaces.hpp (shard_coordinator_actor). Every change of a task's locks is
// stored before anyone is answered, so locks survive restarts, crashes and failover:
//  - alone (no `join`), where every source of such a task runs on this worker, in the meta store
//    (synced); the shard tables of each source are not stored: its syncer lists them again when
//    it starts;
//  - in a cluster, where the task's sources may run on several workers, in etcd, one record per
//    task shared by their coordinators (io/shard_lock_records.hpp): each change is made on the
//    record as etcd has it and written back only if no other worker wrote it meanwhile; the
//    record keeps every source's shard tables and numbered wake-ups, which each coordinator
//    reads every 300 ms to wake its own syncers when another worker's change resolved a lock.
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

// Spawns the coordinator (detached: it writes RocksDB synced, or calls etcd) and registers it in
// the actor system, where the syncers find it (find_shard_coordinator). `settings`: the worker's
// name, shard-lock-report-after, and for a cluster `join` with the etcd TLS files and login.
shard_coordinator_actor spawn_shard_coordinator(caf::local_actor* parent,
                                                std::shared_ptr<storage::database> db,
                                                const worker_settings& settings);

// The coordinator registered in `system`, or an invalid handle when there is none.
shard_coordinator_actor find_shard_coordinator(caf::actor_system& system);

}  // namespace dm
