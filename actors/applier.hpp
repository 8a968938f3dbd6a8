// One downstream connection of a syncer: applies each job batch it receives in one transaction
// and acknowledges it. Detached (it blocks on the downstream).
//
// Transient downstream failures (lost connection, deadlock, lock wait timeout) are retried after
// a backoff (defaults::applier_retry: a delayed message, never a sleep, so the applier stays
// responsive to its stop), reconnecting as needed and in safe mode (the failed attempt may have
// committed). Batches that arrive meanwhile wait in order behind the one being retried. Any
// other failure is reported to the syncer with the event it came from. Changes to serial groups
// are not idempotent: a transaction holding them also writes their apply marks (see
// apply_marks.hpp), and a retry first reads the marks to learn whether the failed attempt
// committed. When retrying does not help within its attempts, the applier ends with
// the last error; being linked to its syncer, that ends the syncer too.
#pragma once

#include <deque>
#include <optional>
#include <random>
#include <string>

#include "actors/interfaces.hpp"
#include "common/restart_policy.hpp"
#include "io/meta_tables.hpp"
#include "sync/apply_marks.hpp"
#include "protocol/mysql_connection.hpp"

namespace dm {

struct applier_actor_state {
  static inline const char* name = "applier";

  uint32_t index = 0;
  connection_params params;
  std::string label;
  meta_scope marks;
  // The owner's epoch in a cluster: every transaction checks the fence first
  // (sync/downstream_fence.hpp); 0 outside a cluster.
  int64_t epoch = 0;
  syncer_actor syncer;
  std::optional<mysql_connection> conn;
  // Batches to apply, in order; the head is being applied (or waits for its retry).
  std::deque<job_batch> queue;
  // Retrying the head: safe mode from the second attempt on, the last error, the backoff.
  bool force_safe = false;
  bool waiting = false;
  caf::error last_error;
  restart_policy retry{};
  std::mt19937_64 random{std::random_device{}()};
  // The connection's max_allowed_packet (read when it opens).
  size_t packet = 0;
  // When the connection last ran a statement (in a cluster it is reopened before the
  // downstream's idle limit ends it, defaults::fenced_session_idle).
  std::chrono::steady_clock::time_point last_used;
};

applier_actor::behavior_type applier(applier_actor::stateful_pointer<applier_actor_state> self,
                                     uint32_t index, db_config target, std::string label,
                                     meta_scope marks, int64_t epoch, syncer_actor syncer);


}  // namespace dm
