#include "app/dm_worker/metrics_server.hpp"

#include <thread>

#include <httplib.h>

#include "common/metrics.hpp"
#include "common/error.hpp"

namespace dm::app {

struct metrics_server::impl {
  httplib::Server server;
  std::thread thread;
};

caf::expected<std::unique_ptr<metrics_server>> metrics_server::start(const std::string& host,
                                                                     int port) {
  std::unique_ptr<metrics_server> out{new metrics_server};
  out->impl_ = std::make_unique<impl>();
  auto& server = out->impl_->server;
  server.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics::registry::global().render(), "text/plain; version=0.0.4");
  });
  if (!server.bind_to_port(host.c_str(), port))
    return make_error(ec::invalid_config, "metrics-addr " + host + ":" + std::to_string(port) +
                                              " cannot be listened on; is it in use?");
  out->impl_->thread = std::thread{[&server] { server.listen_after_bind(); }};
  return out;
}

metrics_server::~metrics_server() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace dm::app
