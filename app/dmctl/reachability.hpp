// Whether a TCP endpoint accepts connections within a deadline. dmctl asks this before CAF's
// remote_actor, whose connect blocks for the kernel's whole SYN retry time (about two minutes)
// when a host is cut off rather than refusing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace dm::dmctl {

// Connects to host:port (any address it resolves to) and closes again; "" when it connected,
// else why not ("timed out after 5 s", "Connection refused", ...).
std::string probe_tcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

}  // namespace dm::dmctl
