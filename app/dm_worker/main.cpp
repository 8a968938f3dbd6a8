// dm-worker: replicates MySQL/MariaDB sources into downstream servers; controlled by dmctl.
//
//   dm-worker --config worker.toml
//
// Exits 0 after SIGINT/SIGTERM once every task and source saved its state; 1 with a one-line
// reason when it cannot start (bad config, data-dir locked, worker-addr in use).
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <pthread.h>

#include "actors/admin_gate.hpp"
#include "actors/worker.hpp"
#include "app/config/worker_toml.hpp"
#include "app/logging.hpp"
#include "app/dm_worker/status_server.hpp"
#include "app/dm_worker/tls_handshake_log.hpp"
#include "app/system_config.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "protocol/password_cipher.hpp"
#include "storage/database.hpp"

namespace {

// Set once the log file is open: from then on a failure to start is also in the log, where an
// operator of a service looks first.
bool logging_ready = false;

int fail(const std::string& message) {
  std::cerr << "dm-worker: " << message << std::endl;
  if (logging_ready) DM_ERROR("dm-worker cannot start: {}", message);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"dm-worker: replicates MySQL/MariaDB sources into TiDB or MySQL-compatible servers"};
  std::string config_path;
  cli.add_option("--config", config_path, "worker config file (TOML)")->required();
  CLI11_PARSE(cli, argc, argv);

  std::ifstream in{config_path};
  if (!in) return fail("cannot read config file " + config_path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> warnings;
  auto cfg = dm::config::parse_worker_toml(text.str(), config_path, warnings);
  if (!cfg) return fail(dm::describe(cfg.error()));
  if (auto err = dm::app::setup_logging(cfg->log_file, cfg->log_level, "dm-worker"))
    return fail(dm::describe(err));
  logging_ready = true;
  for (auto& w : warnings) DM_WARN("{}", w);

  std::error_code ec;
  std::filesystem::create_directories(cfg->data_dir, ec);
  if (ec) return fail("data-dir " + cfg->data_dir + " cannot be created: " + ec.message());
  auto db = dm::storage::database::open(cfg->data_dir);
  if (!db) return fail(dm::describe(db.error()));

  // Signals are taken by the main thread alone (sigwait below); block them before any thread
  // of the actor system starts, since threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string token;
  if (!cfg->admin_token_path.empty()) {
    auto read = dm::read_admin_token(cfg->admin_token_path);
    if (!read) return fail(dm::describe(read.error()));
    token = std::move(*read);
  }
  bool tls = !cfg->ssl_ca.empty();
  for (auto* file : {&cfg->ssl_ca, &cfg->ssl_cert, &cfg->ssl_key})
    if (!file->empty() && !std::filesystem::is_regular_file(*file))
      return fail("TLS file " + *file + " (ssl-ca, ssl-cert or ssl-key) does not exist");

  dm::app::set_allowed_client_names(cfg->cert_allowed_cn);
  caf::actor_system_config sys_cfg;
  dm::app::configure_actor_system(sys_cfg);
  if (tls) dm::app::configure_tls(sys_cfg, cfg->ssl_ca, cfg->ssl_cert, cfg->ssl_key);
  caf::actor_system sys{sys_cfg};
  auto addr = cfg->worker_addr.host + ":" + std::to_string(cfg->worker_addr.port);
  dm::worker_settings settings;
  settings.name = cfg->name;
  // Others reach this worker at its advertised address (dmctl finds it there in a cluster).
  settings.addr = cfg->advertise_addr.empty() ? addr : cfg->advertise_addr;
  settings.relay_fsync_ms = cfg->relay_fsync_ms;
  settings.shard_lock_report_after = cfg->shard_lock_report_after;
  settings.data_dir = cfg->data_dir;
  settings.join = cfg->join;
  settings.keepalive_ttl = cfg->keepalive_ttl;
  settings.ssl_ca = cfg->ssl_ca;
  settings.ssl_cert = cfg->ssl_cert;
  settings.ssl_key = cfg->ssl_key;
  if (!cfg->secret_key_path.empty()) {
    auto key = dm::read_secret_key(cfg->secret_key_path);
    if (!key) return fail(dm::describe(key.error()));
    settings.secret_key = std::move(*key);
  }
  if (auto err = dm::check_encrypted_form(cfg->etcd_password, settings.secret_key,
                                          "etcd-password"))
    return fail(dm::describe(err));
  settings.etcd_user = cfg->etcd_user;
  settings.etcd_password = dm::plain_password(cfg->etcd_password, settings.secret_key);
  auto root = sys.spawn(dm::worker, settings, *db);
  auto gate = sys.spawn(dm::admin_gate, root, token, cfg->name);
  auto port = tls ? caf::openssl::publish(gate, cfg->worker_addr.port,
                                          cfg->worker_addr.host.c_str(), true)
                  : sys.middleman().publish(gate, cfg->worker_addr.port,
                                            cfg->worker_addr.host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    return fail("worker-addr " + addr + " cannot be listened on (" + sys.render(port.error()) +
                "); is another worker running there?");
  }
  std::unique_ptr<dm::app::status_server> status_port;
  if (!cfg->metrics_addr.empty()) {
    auto hp = dm::config::parse_host_port(cfg->metrics_addr, "metrics-addr");
    dm::app::status_tls status_files{cfg->ssl_ca, cfg->ssl_cert, cfg->ssl_key};
    auto started = hp ? dm::app::status_server::start(hp->host, hp->port, status_files,
                                                      {&sys, root, token, cfg->name})
                      : caf::expected<std::unique_ptr<dm::app::status_server>>{hp.error()};
    if (!started) {
      caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
      return fail(dm::describe(started.error()));
    }
    status_port = std::move(*started);
  }
  DM_INFO("dm-worker {} listens on {} ({}, {}) with data-dir {}", cfg->name, addr,
          tls ? "TLS" : "no TLS", token.empty() ? "no admin token" : "admin token required",
          cfg->data_dir);
  std::cout << "dm-worker " << cfg->name << " listening on " << addr << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  DM_INFO("dm-worker {} received signal {}; stopping", cfg->name, signal);
  caf::scoped_actor self{sys};
  self->monitor(root);
  self->send_exit(root, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {});
  self->send_exit(gate, caf::exit_reason::user_shutdown);
  return 0;
}
