// The store: runs the blocking work of the event-based actors (worker, source, task) on a thread
// of its own, one job at a time, so that the scheduler's threads never wait for the disk (synced
// RocksDB writes, removing dump files and relay logs, compaction after a purge). Detached.
//
// The syncer, the relay and the loaders are detached themselves and keep their own RocksDB
// handles for throughput; the store serves the actors that must stay responsive.
#pragma once

#include "actors/interfaces.hpp"

namespace dm {

store_actor::behavior_type store(store_actor::pointer self);

// Runs `work` on `store` and then `done` with its error (none when it succeeded), on the
// calling actor. The calling actor keeps handling its other messages meanwhile.
template <class Self, class Done>
void on_store(Self* self, const store_actor& store, std::function<caf::error()> work,
              Done done) {
  self->request(store, caf::infinite, run_atom_v, blocking_job{std::move(work)})
      .then([done]() mutable { done(caf::error{}); },
            [done](caf::error& err) mutable { done(std::move(err)); });
}

}  // namespace dm
