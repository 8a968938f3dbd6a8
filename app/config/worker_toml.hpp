// Parsing of the worker config (worker.toml) and of HOST:PORT addresses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace dm::config {

struct host_port {
  std::string host;
  uint16_t port = 0;
};

struct worker_config {
  // The worker's name in list-member and query-status; defaults to worker-addr.
  std::string name;
  // Where the admin endpoint listens (dmctl connects here); DM's ":8262" (no host) listens on
  // every interface.
  host_port worker_addr{"127.0.0.1", 8262};
  // The address others reach this worker at (DM's advertise-addr); empty: worker-addr.
  std::string advertise_addr;
  // DM's `join`: the etcd endpoints of the cluster ("host:2379,..."); empty: the worker runs
  // alone.
  std::string join;
  // Seconds the worker's etcd lease lives without a keepalive (DM's keepalive-ttl): how soon a
  // dead worker's sources move. relay-keepalive-ttl is DM's and taken without effect.
  int64_t keepalive_ttl = 10;
  int64_t relay_keepalive_ttl = 1800;
  // etcd's user/role auth: the user the worker logs in as, and its password (plain or made by
  // `dmctl encrypt`, then decrypted with secret-key-path). Empty user: etcd's auth is off.
  std::string etcd_user;
  std::string etcd_password;
  // RocksDB lives here.
  std::string data_dir = "dm-worker-data";
  // Empty logs to stderr.
  std::string log_file;
  // trace, debug, info, warn, error
  std::string log_level = "info";
  // Where the Prometheus metrics endpoint (/metrics) listens; empty disables it.
  std::string metrics_addr;
  // Seconds a shard DDL lock (shard-mode: pessimistic) waits before it is reported as overdue
  // (log, metrics, query-status): shard-lock-report-after.
  int64_t shard_lock_report_after = 300;
  // relay-fsync: "1s" (default), "200ms", "0s" (every commit) or "off"; in milliseconds, -1 off.
  int64_t relay_fsync_ms = 1000;
  // File holding the key that decrypts passwords made by `dmctl encrypt`; empty: none.
  std::string secret_key_path;
  // TLS for the admin endpoint: the CA that signs the workers' and dmctl's certificates, and
  // this worker's certificate and key (PEM files). All three or none.
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  // DM's cert-allowed-cn: client certificates must carry one of these common names; empty:
  // any the ssl-ca signed.
  std::vector<std::string> cert_allowed_cn;
  // File holding the token every admin command must carry; empty: no token is asked for.
  std::string admin_token_path;
};

// Parses `text`, the contents of `file`. Every problem of the file is in the one error, a line
// each naming the file and key. DM keys with no effect here add a line to `warnings`.
caf::expected<worker_config> parse_worker_toml(const std::string& text, const std::string& file,
                                               std::vector<std::string>& warnings);

// Parses "HOST:PORT" (IPv6 as "[::1]:8262"); `where` names the value in the error.
caf::expected<host_port> parse_host_port(const std::string& text, const std::string& where);

}  // namespace dm::config
