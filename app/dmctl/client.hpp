// dmctl's side of the admin protocol: the workers named by --worker-addr (connected lazily,
// over TLS when configured), one command to one worker (ask), and one command to many
// (ask_each), whose answers the commands merge.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/admin_gate.hpp"
#include "actors/interfaces.hpp"
#include "common/defaults.hpp"
#include "common/error.hpp"
#include "app/config/worker_toml.hpp"

namespace dm::dmctl {

// How to reach the workers: their admin endpoints, TLS files (all three or none) and the file
// with their admin token (empty: none).
struct client_options {
  std::string worker_addrs = "127.0.0.1:8262";
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  std::string token_path;
};

// A worker's admin endpoint: its gate (actors/admin_gate.hpp) and the token commands carry.
struct endpoint {
  caf::actor gate;
  std::string token;
};

// The workers of one dmctl invocation, by index in the order --worker-addr names them.
class workers {
 public:
  explicit workers(caf::actor_system& sys) : sys_(sys) {}

  // Parses the addresses and reads the token; a bad address or token file is the error.
  caf::error open(const client_options& opts);

  caf::actor_system& system() { return sys_; }
  size_t size() const { return addrs_.size(); }
  const std::string& addr(size_t i) const { return addrs_[i]; }
  // Every index, for commands that go to all workers.
  std::vector<size_t> all() const;

  // The worker's endpoint, or why it cannot be reached (one line naming the address).
  caf::expected<endpoint> handle(size_t i);

 private:
  caf::actor_system& sys_;
  bool tls_ = false;
  std::string token_;
  std::vector<std::string> addrs_;
  std::vector<config::host_port> parsed_;
  std::map<size_t, caf::actor> gates_;
};

// Sends a command of the worker's interface to worker `i` and waits for the answer (at most
// defaults::dmctl_request_timeout). The command is checked against worker_actor at compile time.
template <class Result, class... Ts>
caf::expected<Result> ask(workers& ws, size_t i, const Ts&... xs) {
  static_assert(caf::response_type_unbox<caf::signatures_of_t<worker_actor>,
                                         caf::detail::type_list<std::decay_t<Ts>...>>::valid,
                "not a command of worker_actor");
  auto w = ws.handle(i);
  if (!w) return w.error();
  caf::scoped_actor self{ws.system()};
  caf::expected<Result> out{caf::error{}};
  self->request(w->gate, defaults::dmctl_request_timeout, admin_atom_v, w->token,
                caf::make_message(xs...))
      .receive([&](Result& r) { out = std::move(r); }, [&](caf::error& e) { out = e; });
  return out;
}

// What the workers asked by ask_each answered: each answer with the index of its worker, and
// the last refusal that was passed over ("" if none).
template <class Result>
struct answers {
  std::vector<std::pair<size_t, Result>> from;
  std::string refusal;
};

// Sends the command to each worker of `targets`, in order. A refusal whose code is in
// `passed_over` (typically not_found: that worker does not run the object) is remembered and
// skipped; any other error (unreachable, unauthorized, ...) is the result, so a partial answer
// is never shown as the whole.
template <class Result, class... Ts>
caf::expected<answers<Result>> ask_each(workers& ws, const std::vector<size_t>& targets,
                                        std::initializer_list<ec> passed_over, const Ts&... xs) {
  answers<Result> out;
  for (auto i : targets) {
    auto r = ask<Result>(ws, i, xs...);
    if (r) {
      out.from.emplace_back(i, std::move(*r));
      continue;
    }
    if (std::find(passed_over.begin(), passed_over.end(), code_of(r.error())) == passed_over.end())
      return r.error();
    out.refusal = describe(r.error());
  }
  return out;
}

// The error when no worker has `object` ("task t1", "source s1"): the worker's own refusal when
// there is one worker, else that the object exists on none.
caf::error on_no_worker(const workers& ws, const std::string& refusal, const std::string& object);

}  // namespace dm::dmctl
