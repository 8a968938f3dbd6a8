// The actor a worker publishes on worker-addr. dmctl never holds the worker's handle: every
// admin command travels as (admin, token, command) to the gate, which checks the token in
// constant time, hands the command to the worker and passes its reply back to dmctl, counting
// the commands that failed in dm_worker_operate_error{worker, type} (DM's series; type: the
// command's atom, e.g. "starttask").
// A command with a wrong or missing token is refused with a one-line error, and the attempt is
// logged with the peer's node. TLS (when configured) is below this: a peer whose certificate
// the CA did not sign never gets as far as the gate.
#pragma once

#include <string>

#include <caf/atom.hpp>

#include "actors/interfaces.hpp"

namespace caf {
class behavior;
class event_based_actor;
}  // namespace caf

namespace dm {

// `token` empty: every command is let through. `worker_name` labels the metric.
caf::behavior admin_gate(caf::event_based_actor* self, worker_actor worker, std::string token,
                         std::string worker_name);

// Counts a failed admin command (from dmctl or the HTTP API) whose message begins with `command`
// in dm_worker_operate_error. A not_found answer is not a failure: commands go to every worker,
// and only the one holding the source or task answers otherwise.
void count_operate_error(const std::string& worker_name, caf::atom_value command,
                         const caf::error& err);

// Compares a presented token with the expected one in time independent of where they differ.
bool same_token(const std::string& presented, const std::string& expected);

// Reads the admin token file: its text without surrounding whitespace, at least 16 characters.
caf::expected<std::string> read_admin_token(const std::string& path);

}  // namespace dm
