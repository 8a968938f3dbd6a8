// One downstream connection of a syncer: applies each job batch it receives in one transaction
// and acknowledges it. Detached (it blocks on the downstream).
//
// Transient downstream failures (lost connection, deadlock, lock wait timeout) are retried with
// backoff, reconnecting as needed and in safe mode (the failed attempt may have committed). Any
// other failure ends the actor with the downstream's error; being linked to its syncer, that
// ends the syncer too.
#pragma once

#include <optional>
#include <string>

#include "actors/interfaces.hpp"
#include "protocol/mysql_connection.hpp"

namespace dm {

struct applier_actor_state {
  static inline const char* name = "applier";

  uint32_t index = 0;
  connection_params params;
  std::string label;
  syncer_actor syncer;
  std::optional<mysql_connection> conn;
};

applier_actor::behavior_type applier(applier_actor::stateful_pointer<applier_actor_state> self,
                                     uint32_t index, db_config target, std::string label,
                                     syncer_actor syncer);

// Connection parameters for a configured server.
connection_params to_connection_params(const db_config& db);

}  // namespace dm
