#include "actors/admin_gate.hpp"

#include <fstream>
#include <sstream>

#include <caf/all.hpp>
#include <openssl/crypto.h>

#include "common/error.hpp"
#include "common/log.hpp"

namespace dm {

bool same_token(const std::string& presented, const std::string& expected) {
  return presented.size() == expected.size() &&
         CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

namespace {

}  // namespace

caf::behavior admin_gate(caf::event_based_actor* self, worker_actor worker, std::string token) {
  return {
      [=](admin_atom, const std::string& presented, caf::message& command) {
        // Read before the promise takes the sender over.
        auto sender = self->current_sender();
        auto rp = self->make_response_promise();
        if (!token.empty() && !same_token(presented, token)) {
          DM_WARN("refused an admin command from node {}: {} admin token",
                  sender ? caf::to_string(sender->node()) : std::string{"?"},
                  presented.empty() ? "no" : "a wrong");
          rp.deliver(make_error(ec::unauthorized,
                                "the worker refused the command: " +
                                    std::string{presented.empty() ? "no" : "wrong"} +
                                    " admin token; pass the worker's admin-token-path file "
                                    "with --token-path"));
          return;
        }
        rp.delegate(caf::actor_cast<caf::actor>(worker), std::move(command));
      },
  };
}

caf::expected<std::string> read_admin_token(const std::string& path) {
  std::ifstream in{path};
  if (!in) return make_error(ec::invalid_config, "cannot read the admin token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto token = text.str();
  auto first = token.find_first_not_of(" \t\r\n");
  auto last = token.find_last_not_of(" \t\r\n");
  token = first == std::string::npos ? "" : token.substr(first, last - first + 1);
  if (token.size() < 16)
    return make_error(ec::invalid_config,
                      "the admin token in " + path + " is shorter than 16 characters; write a "
                      "long random one, e.g. openssl rand -hex 32 > " + path);
  return token;
}

}  // namespace dm
