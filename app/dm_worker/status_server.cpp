#include "app/dm_worker/status_server.hpp"

#include <thread>

#include <httplib.h>

#include "common/error.hpp"
#include "common/metrics.hpp"

namespace dm::app {

struct status_server::impl {
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
};

caf::expected<std::unique_ptr<status_server>> status_server::start(const std::string& host,
                                                                   int port,
                                                                   const status_tls& tls,
                                                                   api_context api) {
  std::unique_ptr<status_server> out{new status_server};
  out->impl_ = std::make_unique<impl>();
  auto& server = out->impl_->server;
  if (tls.ssl_cert.empty()) {
    server = std::make_unique<httplib::Server>();
  } else {
    auto https = std::make_unique<httplib::SSLServer>(
        tls.ssl_cert.c_str(), tls.ssl_key.c_str(), tls.ssl_ca.c_str());
    if (!https->is_valid())
      return make_error(ec::invalid_config, "metrics-addr: the TLS files (ssl-cert, ssl-key, "
                                            "ssl-ca) cannot be used for HTTPS; check them");
    server = std::move(https);
  }
  server->Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics::registry::global().render(), "text/plain; version=0.0.4");
  });
  add_api_routes(*server, std::move(api));
  if (!server->bind_to_port(host.c_str(), port))
    return make_error(ec::invalid_config, "metrics-addr " + host + ":" + std::to_string(port) +
                                              " cannot be listened on; is it in use?");
  out->impl_->thread = std::thread{[s = server.get()] { s->listen_after_bind(); }};
  return out;
}

status_server::~status_server() {
  if (!impl_) return;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace dm::app
