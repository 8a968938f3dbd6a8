// The CAF actor system settings dm-worker and dmctl share: the io middleman and every message
// type that crosses hosts.
#pragma once

#include <string>

#include <caf/actor_system_config.hpp>

namespace dm::app {

// Loads the middleman, registers the project's types and error category.
void configure_actor_system(caf::actor_system_config& cfg);

// Loads CAF's openssl module with this side's certificate and key (PEM files) and the CA that
// must have signed the peer's: connections by openssl::publish / openssl::remote_actor then
// refuse a peer without such a certificate during the handshake.
void configure_tls(caf::actor_system_config& cfg, const std::string& ca, const std::string& cert,
                   const std::string& key);

}  // namespace dm::app
