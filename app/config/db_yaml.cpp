#include "app/config/db_yaml.hpp"

#include <algorithm>
#include <cctype>

#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm::config {

using sql::append_escaped;

namespace {

// Session variables the worker sets itself, statement by statement, to keep the data exact; a
// value from the config would be overwritten at once.
constexpr const char* worker_owned_variables[] = {
    "sql_mode",        "time_zone",           "foreign_key_checks",   "timestamp",
    "autocommit",      "character_set_client", "character_set_results",
    "character_set_connection", "collation_connection", "names", "transaction_isolation",
    "tx_isolation",    "max_error_count"};

bool is_variable_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

bool is_number(const std::string& v) {
  if (v.empty()) return false;
  size_t i = (v[0] == '-') ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < v.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(v[i]))) digits = true;
    else if (v[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digits;
}

void parse_session(yaml_map& m, db_config& out, problem_list& problems,
                   std::vector<std::string>& warnings) {
  auto session = m.child("session");
  if (problems.failed(session)) return;
  auto entries = session->scalar_entries();
  if (problems.failed(entries)) return;
  for (auto& [name, value] : *entries) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (!is_variable_name(lower)) {
      problems.add(session->where(name) + " is not a session variable name (letters, digits "
                                          "and '_')");
      continue;
    }
    auto owned = std::find(std::begin(worker_owned_variables), std::end(worker_owned_variables),
                           lower);
    if (owned != std::end(worker_owned_variables)) {
      warnings.push_back(session->where(name) + " has no effect here: the worker sets " + lower +
                         " itself on every statement, from the upstream's value, so that "
                         "the data stays exact");
      continue;
    }
    std::string literal;
    if (is_number(value)) literal = value;
    else append_escaped(literal, value);
    out.session.emplace_back(lower, literal);
  }
}

}  // namespace

void parse_db(yaml_map& m, db_config& out, bool allow_session, problem_list& problems,
              std::vector<std::string>& warnings) {
  problems.add(m.take_tolerated(
      {{"max-allowed-packet", nullptr,
        "statements to the downstream are sized from its own max_allowed_packet", false}},
      warnings));
  if (!allow_session)
    problems.add(m.take_tolerated(
        {{"session", nullptr, "upstream connections keep the session the worker sets", false}},
        warnings));
  problems.add(m.check_keys({"host", "port", "user", "password", "security", "session"}));
  problems.add(m.read("host", out.host, true));
  problems.add(m.read("port", out.port, 1));
  problems.add(m.read("user", out.user, true));
  problems.add(m.read("password", out.password));
  if (allow_session && m.has("session")) parse_session(m, out, problems, warnings);
  if (!m.has("security")) return;
  auto security = m.child("security");
  if (problems.failed(security)) return;
  problems.add(security->take_tolerated(
      {{"cert-allowed-cn", nullptr,
        "the server's certificate is verified against ssl-ca and the host name", false}},
      warnings));
  problems.add(security->check_keys(
      {"ssl-ca", "ssl-cert", "ssl-key"},
      {{"ssl-ca-bytes", "give the CA as a file with ssl-ca"},
       {"ssl-cert-bytes", "give the certificate as a file with ssl-cert"},
       {"ssl-key-bytes", "give the key as a file with ssl-key"},
       {"ssl-ca-base64", "give the CA as a file with ssl-ca"},
       {"ssl-cert-base64", "give the certificate as a file with ssl-cert"},
       {"ssl-key-base64", "give the key as a file with ssl-key"}}));
  problems.add(security->read("ssl-ca", out.ssl_ca));
  problems.add(security->read("ssl-cert", out.ssl_cert));
  problems.add(security->read("ssl-key", out.ssl_key));
  if (out.ssl_cert.empty() != out.ssl_key.empty())
    problems.add(security->where("ssl-cert") +
                 " and ssl-key go together (a client certificate and its key)");
}

}  // namespace dm::config
