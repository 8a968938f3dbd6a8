#include "app/config/worker_toml.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include <toml.hpp>

#include "app/config/problem_list.hpp"
#include "common/error.hpp"
#include "common/utf8.hpp"
#include "io/etcd_client.hpp"

namespace dm::config {

namespace {

caf::error config_error(const std::string& text) { return make_error(ec::invalid_config, text); }

// DM worker keys taken without effect: accepted silently at `off_value` ("" for any value),
// else with a warning saying `why`; `refused` ones are refused with `why` whatever the value.
struct dm_key {
  const char* key;
  const char* off_value;
  const char* why;
  bool refused;
};

const dm_key dm_keys[] = {
    {"relay-dir", nullptr, "the relay log lives in RocksDB under data-dir", false},
    {"log-format", "text", "logs are text", false},
    {"log-rotate", "", "rotate log files with logrotate", false},
    {"redact-info-log", "false",
     "row values can appear in the error message of a row that fails; they are not redacted",
     false},
    {"config-file", nullptr, "the config file is given with --config", false},
    {"ssl-ca-base64", nullptr, "give the CA as a file with ssl-ca", true},
    {"ssl-cert-base64", nullptr, "give the certificate as a file with ssl-cert", true},
    {"ssl-key-base64", nullptr, "give the key as a file with ssl-key", true},
    {"ssl-ca-bytes", nullptr, "give the CA as a file with ssl-ca", true},
    {"ssl-cert-bytes", nullptr, "give the certificate as a file with ssl-cert", true},
    {"ssl-key-bytes", nullptr, "give the key as a file with ssl-key", true},
    {"security", nullptr, "the admin endpoint's TLS keys are top-level: ssl-ca, ssl-cert, ssl-key",
     true},
};

// A TOML value as text for comparing with an off value.
std::string text_of(const toml::value& v) {
  if (v.is_string()) return v.as_string().str;
  if (v.is_boolean()) return v.as_boolean() ? "true" : "false";
  return "(a structure)";
}

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

caf::expected<worker_config> parse_worker_toml(const std::string& text, const std::string& file,
                                               std::vector<std::string>& warnings) {
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
  problem_list problems;
  std::string addr_text;
  for (auto& [key, value] : root.as_table()) {
    auto where = file + ": " + key;
    auto string_value = [&](std::string& out) {
      if (!value.is_string()) return problems.add(where + " must be a string");
      out = value.as_string().str;
    };
    auto seconds_value = [&](int64_t& out) {
      if (!value.is_integer() || value.as_integer() < 1)
        return problems.add(where + " must be a positive number of seconds");
      out = value.as_integer();
    };
    if (key == "name") string_value(cfg.name);
    else if (key == "worker-addr") string_value(addr_text);
    else if (key == "advertise-addr") string_value(cfg.advertise_addr);
    else if (key == "join") string_value(cfg.join);
    else if (key == "keepalive-ttl") seconds_value(cfg.keepalive_ttl);
    else if (key == "relay-keepalive-ttl") seconds_value(cfg.relay_keepalive_ttl);
    else if (key == "etcd-user") string_value(cfg.etcd_user);
    else if (key == "etcd-password") string_value(cfg.etcd_password);
    else if (key == "shard-lock-report-after") seconds_value(cfg.shard_lock_report_after);
    else if (key == "data-dir") string_value(cfg.data_dir);
    else if (key == "log-file") string_value(cfg.log_file);
    else if (key == "secret-key-path") string_value(cfg.secret_key_path);
    else if (key == "ssl-ca") string_value(cfg.ssl_ca);
    else if (key == "ssl-cert") string_value(cfg.ssl_cert);
    else if (key == "ssl-key") string_value(cfg.ssl_key);
    else if (key == "admin-token-path") string_value(cfg.admin_token_path);
    else if (key == "cert-allowed-cn") {
      bool strings = value.is_array();
      if (strings)
        for (const auto& name : value.as_array()) {
          strings = strings && name.is_string();
          if (name.is_string()) cfg.cert_allowed_cn.push_back(name.as_string().str);
        }
      if (!strings) problems.add(where + " must be a list of common names, e.g. [\"dmctl\"]");
    }
    else if (key == "relay-fsync") {
      std::string text;
      string_value(text);
      long long n = 0;
      char unit[4] = {};
      if (text == "off") cfg.relay_fsync_ms = -1;
      else if (std::sscanf(text.c_str(), "%lld%3s", &n, unit) == 2 && n >= 0 &&
               (std::string{unit} == "ms" || std::string{unit} == "s"))
        cfg.relay_fsync_ms = std::string{unit} == "s" ? n * 1000 : n;
      else if (value.is_string())
        problems.add(where + " must be a duration like \"1s\" or \"200ms\", or \"off\"; got '" +
                     text + "'");
    } else if (key == "metrics-addr") {
      string_value(cfg.metrics_addr);
      if (!cfg.metrics_addr.empty()) problems.failed(parse_host_port(cfg.metrics_addr, where));
    } else if (key == "log-level") {
      string_value(cfg.log_level);
      auto& l = cfg.log_level;
      if (l != "trace" && l != "debug" && l != "info" && l != "warn" && l != "error")
        problems.add(where + " must be trace, debug, info, warn or error, got '" + l + "'");
    } else {
      auto dm = std::find_if(std::begin(dm_keys), std::end(dm_keys),
                             [&](const dm_key& k) { return key == k.key; });
      if (dm == std::end(dm_keys))
        problems.add(where + " is not a known key; known keys: name, worker-addr, "
                             "advertise-addr, join, keepalive-ttl, relay-keepalive-ttl, "
                             "etcd-user, etcd-password, "
                             "data-dir, log-file, log-level, metrics-addr, relay-fsync, "
                             "secret-key-path, ssl-ca, ssl-cert, ssl-key, cert-allowed-cn, "
                             "admin-token-path, shard-lock-report-after");
      else if (dm->refused)
        problems.add(where + " is a DM key that dm-worker does not support: " + dm->why);
      else if (!dm->off_value || (*dm->off_value && text_of(value) != dm->off_value))
        warnings.push_back(where + " has no effect here: " + dm->why);
    }
  }
  if (!addr_text.empty()) {
    // DM's ":8262" listens on every interface.
    auto addr = parse_host_port(addr_text.front() == ':' ? "0.0.0.0" + addr_text : addr_text,
                                file + ": worker-addr");
    if (!problems.failed(addr)) cfg.worker_addr = *addr;
  }
  if (!cfg.advertise_addr.empty()) {
    auto addr = parse_host_port(cfg.advertise_addr, file + ": advertise-addr");
    if (!problems.failed(addr) && (addr->host == "0.0.0.0" || addr->host == "::"))
      problems.add(file + ": advertise-addr must name a host others can reach, not " +
                   addr->host);
  }
  if (!cfg.join.empty()) {
    auto etcd = etcd_client::make(cfg.join, std::chrono::milliseconds{1000},
                                  {cfg.ssl_ca, cfg.ssl_cert, cfg.ssl_key});
    if (!etcd) problems.add(file + ": join: " + describe(etcd.error()));
    if (cfg.join.find(":8261") != std::string::npos)
      warnings.push_back(file + ": join names port 8261, DM-master's; dm-worker has no master "
                                "and joins etcd itself: name the etcd client endpoints "
                                "(usually port 2379)");
    if (cfg.etcd_user.empty() && !cfg.etcd_password.empty())
      problems.add(file + ": etcd-password needs etcd-user (the etcd user it belongs to)");
    if (cfg.keepalive_ttl < 3)
      problems.add(file + ": keepalive-ttl must be at least 3 seconds in a cluster (a worker "
                          "fences itself 1 s before its lease could end)");
  }
  if (cfg.name.empty())
    cfg.name = !cfg.advertise_addr.empty()
                   ? cfg.advertise_addr
                   : cfg.worker_addr.host + ":" + std::to_string(cfg.worker_addr.port);
  if (cfg.data_dir.empty()) problems.add(file + ": data-dir must not be empty");
  int tls_keys = !cfg.ssl_ca.empty() + !cfg.ssl_cert.empty() + !cfg.ssl_key.empty();
  if (tls_keys != 0 && tls_keys != 3)
    problems.add(file + ": ssl-ca, ssl-cert and ssl-key go together: set all three for TLS on "
                        "the admin endpoint, or none");
  if (!cfg.cert_allowed_cn.empty() && tls_keys == 0)
    problems.add(file + ": cert-allowed-cn needs ssl-ca, ssl-cert and ssl-key (it checks the "
                        "certificates TLS asks clients for)");
  if (auto err = problems.result()) return err;
  return cfg;
}

}  // namespace dm::config
