#include "app/config/worker_toml.hpp"

#include <charconv>
#include <cstdio>
#include <sstream>

#include <toml.hpp>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace dm::config {

namespace {

caf::error config_error(const std::string& text) { return make_error(ec::invalid_config, text); }

struct unsupported_key {
  const char* key;
  const char* reason;
};

const unsupported_key unsupported_keys[] = {
    {"join", "dm-worker has no DM-master: dmctl talks to workers directly"},
    {"advertise-addr", "workers are addressed by worker-addr"},
    {"keepalive-ttl", "dm-worker has no DM-master"},
    {"relay-keepalive-ttl", "dm-worker has no DM-master"},
    {"relay-dir", "the relay log lives in RocksDB under data-dir"},
    {"log-format", "logs are text"},
    {"log-rotate", "rotate log files with logrotate"},
    {"cert-allowed-cn", "any certificate the ssl-ca signed is accepted; issue them sparingly"},
    {"security", "the admin endpoint's TLS keys are top-level: ssl-ca, ssl-cert, ssl-key"},
};

}  // namespace

caf::expected<host_port> parse_host_port(const std::string& text, const std::string& where) {
  auto bad = [&] {
    return config_error(where + " '" + text + "' is not HOST:PORT (port 1..65535)");
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad();
  host_port out;
  out.host = text.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  auto digits = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (err != std::errc{} || ptr != digits.data() + digits.size() || port == 0 || port > 65535)
    return bad();
  out.port = static_cast<uint16_t>(port);
  return out;
}

caf::expected<worker_config> parse_worker_toml(const std::string& text, const std::string& file) {
  // toml11 reads past its buffer on some bytes that are not UTF-8 (seen under ASan on a
  // literal string holding 0x80 0x81): such a file never reaches it.
  if (auto at = first_invalid_utf8(text))
    return config_error(file + ": invalid TOML (byte " + std::to_string(*at) +
                        " is not UTF-8); check that the file is UTF-8 text in TOML syntax");
  toml::value root;
  try {
    std::istringstream in{text};
    root = toml::parse(in, file);
  } catch (const toml::syntax_error& e) {
    // toml11 explains over several lines: "[error] reason\n --> file\n   |\n 3 | text".
    std::string what = e.what();
    auto reason = what.substr(0, what.find('\n'));
    if (reason.rfind("[error] ", 0) == 0) reason = reason.substr(8);
    std::string line;
    auto bar = what.find(" | ");
    if (bar != std::string::npos) {
      auto start = what.rfind('\n', bar);
      line = what.substr(start + 1, bar - start - 1);
      line.erase(0, line.find_first_not_of(' '));
    }
    return config_error(file + ": invalid TOML" + (line.empty() ? "" : " at line " + line) + ": " +
                        reason);
  } catch (const std::exception& e) {
    // toml11 can fail outside its syntax errors, e.g. on bytes that are not UTF-8.
    std::string what = e.what();
    return config_error(file + ": invalid TOML (" + what.substr(0, what.find('\n')) +
                        "); check that the file is UTF-8 text in TOML syntax");
  }
  worker_config cfg;
  std::string addr_text;
  for (auto& [key, value] : root.as_table()) {
    auto where = file + ": " + key;
    auto string_value = [&](std::string& out) -> caf::error {
      if (!value.is_string()) return config_error(where + " must be a string");
      out = value.as_string().str;
      return caf::none;
    };
    caf::error err;
    if (key == "name") err = string_value(cfg.name);
    else if (key == "worker-addr") err = string_value(addr_text);
    else if (key == "data-dir") err = string_value(cfg.data_dir);
    else if (key == "log-file") err = string_value(cfg.log_file);
    else if (key == "secret-key-path") err = string_value(cfg.secret_key_path);
    else if (key == "ssl-ca") err = string_value(cfg.ssl_ca);
    else if (key == "ssl-cert") err = string_value(cfg.ssl_cert);
    else if (key == "ssl-key") err = string_value(cfg.ssl_key);
    else if (key == "admin-token-path") err = string_value(cfg.admin_token_path);
    else if (key == "relay-fsync") {
      std::string text;
      err = string_value(text);
      if (!err) {
        long long n = 0;
        char unit[4] = {};
        if (text == "off") cfg.relay_fsync_ms = -1;
        else if (std::sscanf(text.c_str(), "%lld%3s", &n, unit) == 2 && n >= 0 &&
                 (std::string{unit} == "ms" || std::string{unit} == "s"))
          cfg.relay_fsync_ms = std::string{unit} == "s" ? n * 1000 : n;
        else
          err = config_error(where + " must be a duration like \"1s\" or \"200ms\", or \"off\"; got '" +
                             text + "'");
      }
    } else if (key == "metrics-addr") {
      err = string_value(cfg.metrics_addr);
      if (!err && !cfg.metrics_addr.empty()) {
        auto hp = parse_host_port(cfg.metrics_addr, where);
        if (!hp) err = hp.error();
      }
    }
    else if (key == "log-level") {
      err = string_value(cfg.log_level);
      auto& l = cfg.log_level;
      if (!err && l != "trace" && l != "debug" && l != "info" && l != "warn" && l != "error")
        err = config_error(where + " must be trace, debug, info, warn or error, got '" + l + "'");
    } else {
      bool known = false;
      for (auto& u : unsupported_keys)
        if (key == u.key) {
          err = config_error(where + " is a DM key that dm-worker does not support: " + u.reason);
          known = true;
        }
      if (!known)
        err = config_error(where + " is not a known key; known keys: name, worker-addr, "
                                   "data-dir, log-file, log-level, metrics-addr, relay-fsync, "
                                   "secret-key-path, ssl-ca, ssl-cert, ssl-key, "
                                   "admin-token-path");
    }
    if (err) return err;
  }
  if (!addr_text.empty()) {
    auto addr = parse_host_port(addr_text, file + ": worker-addr");
    if (!addr) return addr.error();
    cfg.worker_addr = *addr;
  }
  if (cfg.name.empty()) cfg.name = cfg.worker_addr.host + ":" + std::to_string(cfg.worker_addr.port);
  if (cfg.data_dir.empty()) return config_error(file + ": data-dir must not be empty");
  int tls_keys = !cfg.ssl_ca.empty() + !cfg.ssl_cert.empty() + !cfg.ssl_key.empty();
  if (tls_keys != 0 && tls_keys != 3)
    return config_error(file + ": ssl-ca, ssl-cert and ssl-key go together: set all three for "
                               "TLS on the admin endpoint, or none");
  return cfg;
}

}  // namespace dm::config
