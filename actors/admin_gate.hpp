// The actor a worker publishes on worker-addr. dmctl never holds the worker's handle: every
// admin command travels as (admin, token, command) to the gate, which checks the token in
// constant time and hands the command to the worker, whose reply goes straight back to dmctl.
// A command with a wrong or missing token is refused with a one-line error, and the attempt is
// logged with the peer's node. TLS (when configured) is below this: a peer whose certificate
// the CA did not sign never gets as far as the gate.
#pragma once

#include <string>

#include "actors/interfaces.hpp"

namespace caf {
class behavior;
class event_based_actor;
}  // namespace caf

namespace dm {

// `token` empty: every command is let through.
caf::behavior admin_gate(caf::event_based_actor* self, worker_actor worker, std::string token);

// Compares a presented token with the expected one in time independent of where they differ.
bool same_token(const std::string& presented, const std::string& expected);

// Reads the admin token file: its text without surrounding whitespace, at least 16 characters.
caf::expected<std::string> read_admin_token(const std::string& path);

}  // namespace dm
