// The worker's membership in a cluster on etcd (worker.toml `join`), with the records of
// io/cluster_store.hpp. On its own thread (etcd calls block), once per tick:
//
//  1. Lease: the worker holds one etcd lease of keepalive-ttl seconds, renewed every quarter of
//     it (a failed renewal is tried again next tick, before any read), with alive/<name>
//     attached. The lease is proven alive until the send time of the last
//     keepalive etcd answered plus the TTL it granted, less a margin for the slowest call. Once
//     that moment passes without a newer answer, the worker fences itself: it stops every
//     source it runs, at once, whether or not etcd is reachable (the binding keys end with the
//     lease on etcd's side). It then starts over with a new lease.
//  2. Election: the first worker to create `leader` under its lease schedules. Its writes to
//     assign/ are guarded by the create revision of its `leader` key, so a deposed leader's
//     late writes fail.
//  3. Scheduling (leader only): plan_assignments (model/cluster_plan.hpp) for every source.
//  4. Binding: a source assigned here is bound by creating bound/<id> under this worker's
//     lease only if absent, then run (the worker's cluster_bind). A source assigned elsewhere,
//     or removed, is stopped here and its binding deleted (only if it still names this worker).
//     A binding found gone or not under the current lease is stopped at once.
//  5. Copies: before a part of a task with a full migration starts copying here, the worker
//     claims loading/<task>/<source> (cluster_copy_atom, answered once etcd has it), so that
//     the scheduler keeps the source here, or brings it back: the dump files will be here. The
//     part got that far only because no other worker's copy had loaded anything downstream
//     (io/part_takeover.hpp), so the claim replaces any older record. The member removes its
//     record once the copy reached sync, and its records of tasks that are gone.
//
// A worker with `join` runs only the sources it holds bindings for; its RocksDB is a cache.
#pragma once

#include <memory>
#include <string>

#include "actors/interfaces.hpp"

namespace dm {

namespace storage {
class database;
}

// Spawns the member (detached, linked to `worker`): `settings.join` names the etcd endpoints
// (TLS with the worker's ssl-* files for https:// ones), `addr` the worker's admin address
// others reach it at, `settings.keepalive_ttl` the lease's TTL in seconds; `db` is the worker's
// store, read for the state of its copies.
caf::actor spawn_cluster_member(caf::local_actor* worker, worker_actor handle,
                                const worker_settings& settings,
                                std::shared_ptr<storage::database> db);

}  // namespace dm
