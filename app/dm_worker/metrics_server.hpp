// The worker's Prometheus endpoint: GET /metrics on metrics-addr serves the registry of
// actors/metrics.hpp in text format, from a thread of its own.
#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>

namespace dm::app {

class metrics_server {
 public:
  // Binds HOST:PORT and starts serving; fails with a one-line error when it cannot bind.
  static caf::expected<std::unique_ptr<metrics_server>> start(const std::string& host, int port);
  // Stops serving and joins the thread.
  ~metrics_server();

 private:
  metrics_server() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace dm::app
