// One upstream source bound to this worker: owns its relay, restarts it with exponential backoff
// when it fails, and tells subscribed syncers whenever the relay log grows.
//
// Stopping: on an exit message the source stops its relay and ends only after the relay has
// ended, so that nothing writes to the relay log afterwards.
//
// Purging: every purge.interval seconds the source removes relay files by its purge rules
// (expires, remain-space, enable-relay: false), never one a task still needs; dmctl purge-relay
// asks for it explicitly. Purges run on the store (they write and compact RocksDB). A relay
// that failed on an error retrying cannot fix, or on a full disk, is Paused (and retried
// slowly); transient failures are retried with backoff (defaults::relay_restart).
#pragma once

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "actors/interfaces.hpp"
#include "common/restart_policy.hpp"

namespace dm {

namespace storage {
class database;
}

struct source_actor_state {
  static inline const char* name = "source";

  source_config config;
  worker_settings settings;
  std::string worker_name;
  std::shared_ptr<storage::database> db;
  // The running relay; shared with the cleanup that stops it when the source ends.
  std::shared_ptr<relay_actor> relay;
  std::vector<relay_listener_actor> listeners;
  // What the relay reported last; upstream_confirmed is kept true from the relay's first
  // heartbeat until it stops.
  relay_progress progress;
  relay_stage stage = relay_stage::connecting;
  std::string last_error;
  uint32_t reconnects = 0;
  restart_policy restart{};
  std::mt19937_64 random{std::random_device{}()};
  // Runs its purges.
  store_actor store;
  // Set by an exit message: the source ends once its relay has ended.
  bool stopping = false;
  // pause-relay: the relay does not run until resume-relay.
  bool held = false;
  // pause-relay answers once the relay has ended, so that nothing is read after the answer.
  std::vector<caf::typed_response_promise<source_status>> pausing;
  caf::error stop_reason;
  uint32_t files_stored = 0;
  std::string last_purge;
};

// `relay_paused`: pause-relay holds the relay (it starts on resume-relay).
source_actor::behavior_type source(source_actor::stateful_pointer<source_actor_state> self,
                                   source_config config, std::shared_ptr<storage::database> db,
                                   store_actor store, worker_settings settings,
                                   bool relay_paused);

}  // namespace dm
