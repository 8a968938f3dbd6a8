#include "app/system_config.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/interfaces.hpp"
#include "common/error.hpp"

namespace dm::app {

void configure_actor_system(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  cfg.add_message_types<caf::id_block::dm>();
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = to_string(static_cast<ec>(code));
                           if (!ctx.empty()) out += ": " + caf::to_string(ctx);
                           return out;
                         });
  // Keep CAF's own console output quiet; our binaries log through spdlog.
  cfg.set("logger.console", caf::atom("none"));
  // The work-stealing scheduler polls for work with short sleeps, which costs whole cores on a
  // small machine while the detached actors (relay, syncers, appliers) do the heavy work; the
  // sharing scheduler waits on a condition variable instead.
  cfg.set("scheduler.policy", caf::atom("sharing"));
}

void configure_tls(caf::actor_system_config& cfg, const std::string& ca, const std::string& cert,
                   const std::string& key) {
  cfg.load<caf::openssl::manager>();
  cfg.openssl_cafile = ca;
  cfg.openssl_certificate = cert;
  cfg.openssl_key = key;
}

}  // namespace dm::app
