// The CAF actor system settings dm-worker and dmctl share: the io middleman and every message
// type that crosses hosts.
#pragma once

#include <caf/actor_system_config.hpp>

namespace dm::app {

// Loads the middleman, registers the project's types and error category.
void configure_actor_system(caf::actor_system_config& cfg);

}  // namespace dm::app
