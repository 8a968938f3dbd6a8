#include "actors/admin_gate.hpp"

#include <fstream>
#include <sstream>
#include <tuple>

#include <caf/all.hpp>
#include <openssl/crypto.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace dm {

bool same_token(const std::string& presented, const std::string& expected) {
  return presented.size() == expected.size() &&
         CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

void count_operate_error(const std::string& worker_name, caf::atom_value command,
                         const caf::error& err) {
  if (code_of(err) == ec::not_found) return;
  metrics::registry::global()
      .get_counter("dm_worker_operate_error", "Admin commands that failed, by command",
                   {{"worker", worker_name}, {"type", caf::to_string(command)}})
      ->add(1);
}

namespace {

// The handlers that pass a reply of one message type of the worker's interface on to `rp`: one
// for replies_to<...>::with<R>, none for a message the worker only reacts to.
template <class Signature>
struct reply_relay {
  static std::tuple<> handlers(const caf::response_promise&) { return {}; }
};

template <class Inputs, class Reply>
struct reply_relay<caf::typed_mpi<Inputs, caf::output_tuple<Reply>>> {
  static auto handlers(const caf::response_promise& rp) {
    return std::make_tuple(
        [promise = rp](Reply& reply) mutable { promise.deliver(std::move(reply)); });
  }
};

template <class Inputs>
struct reply_relay<caf::typed_mpi<Inputs, caf::output_tuple<void>>> {
  static std::tuple<> handlers(const caf::response_promise&) { return {}; }
};

// The response handler for a command sent to the worker: every reply its interface declares
// goes on to `rp`, an error to `on_error`.
template <class... Signatures, class OnError>
caf::behavior relay_replies(caf::detail::type_list<Signatures...>, const caf::response_promise& rp,
                            OnError on_error) {
  auto build = [&](auto&&... handlers) {
    return caf::behavior{std::move(on_error), std::move(handlers)...};
  };
  return std::apply(build, std::tuple_cat(reply_relay<Signatures>::handlers(rp)...));
}

// The command's leading atom ("" when it has none).
caf::atom_value command_of(const caf::message& command) {
  return command.match_element<caf::atom_value>(0) ? command.get_as<caf::atom_value>(0)
                                                   : caf::atom("");
}

}  // namespace

caf::behavior admin_gate(caf::event_based_actor* self, worker_actor worker, std::string token,
                         std::string worker_name) {
  return {
      [=](admin_atom, const std::string& presented, caf::message& command) {
        // Read before the promise takes the sender over.
        auto sender = self->current_sender();
        auto rp = self->make_response_promise();
        if (!token.empty() && !same_token(presented, token)) {
          DM_WARN("refused an admin command from node {}: {} admin token",
                  sender ? caf::to_string(sender->node()) : std::string{"?"},
                  presented.empty() ? "no" : "a wrong");
          auto refused = make_error(ec::unauthorized,
                                    "the worker refused the command: " +
                                        std::string{presented.empty() ? "no" : "wrong"} +
                                        " admin token; pass the worker's admin-token-path file "
                                        "with --token-path");
          count_operate_error(worker_name, command_of(command), refused);
          rp.deliver(refused);
          return;
        }
        auto type = command_of(command);
        auto asked = self->request(caf::actor_cast<caf::actor>(worker), caf::infinite,
                                   std::move(command));
        self->add_multiplexed_response_handler(
            asked.id(), relay_replies(worker_actor::signatures{}, rp,
                                      [=](caf::error& err) mutable {
                                        count_operate_error(worker_name, type, err);
                                        rp.deliver(err);
                                      }));
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
