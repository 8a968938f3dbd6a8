// The worker's status port (metrics-addr): GET /metrics serves the registry of
// common/metrics.hpp in Prometheus' text format, and /api/v1/... DM's OpenAPI subset
// (http_api.hpp), from threads of its own. With the admin endpoint's TLS files it speaks HTTPS
// and asks every client for a certificate the same CA signed, as dmctl must have.
#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "app/dm_worker/http_api.hpp"

namespace dm::app {

// TLS of the status port: all three PEM files, or none for plain HTTP.
struct status_tls {
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
};

class status_server {
 public:
  // Binds HOST:PORT and starts serving; fails with a one-line error when it cannot bind.
  static caf::expected<std::unique_ptr<status_server>> start(const std::string& host, int port,
                                                             const status_tls& tls,
                                                             api_context api);
  // Stops serving and joins the thread.
  ~status_server();

 private:
  status_server() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace dm::app
