#include "app/dmctl/client.hpp"

#include <sstream>

#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "app/dmctl/reachability.hpp"

namespace dm::dmctl {

caf::error workers::open(const client_options& opts) {
  tls_ = !opts.ssl_ca.empty();
  std::stringstream in{opts.worker_addrs};
  for (std::string item; std::getline(in, item, ',');) {
    if (item.empty()) continue;
    auto hp = config::parse_host_port(item, "--worker-addr");
    if (!hp) return hp.error();
    addrs_.push_back(item);
    parsed_.push_back(*hp);
  }
  if (addrs_.empty()) return make_error(ec::invalid_argument, "--worker-addr names no worker");
  if (!opts.token_path.empty()) {
    auto token = read_admin_token(opts.token_path);
    if (!token) return token.error();
    token_ = std::move(*token);
  }
  return {};
}

std::vector<size_t> workers::all() const {
  std::vector<size_t> out(addrs_.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

caf::expected<endpoint> workers::handle(size_t i) {
  auto it = gates_.find(i);
  if (it != gates_.end()) return endpoint{it->second, token_};
  auto& hp = parsed_[i];
  if (auto why = probe_tcp(hp.host, hp.port, defaults::dmctl_connect_timeout); !why.empty())
    return make_error(ec::unavailable, "cannot reach dm-worker at " + addrs_[i] + " (" + why +
                                           "); is it running and is --worker-addr right?");
  auto gate = tls_ ? caf::openssl::remote_actor(sys_, hp.host, hp.port)
                   : sys_.middleman().remote_actor(hp.host, hp.port);
  if (!gate)
    return make_error(ec::unavailable,
                      "cannot reach dm-worker at " + addrs_[i] + " (" + sys_.render(gate.error()) +
                          "); is it running, is --worker-addr right, and do "
                          "--ssl-ca/--ssl-cert/--ssl-key match its TLS?");
  gates_.emplace(i, *gate);
  return endpoint{*gate, token_};
}

caf::error on_no_worker(const workers& ws, const std::string& refusal, const std::string& object) {
  if (ws.size() == 1 && !refusal.empty()) return make_error(ec::not_found, refusal);
  return make_error(ec::not_found, object + " exists on no worker");
}

}  // namespace dm::dmctl
