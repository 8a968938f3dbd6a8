#include "app/config/db_yaml.hpp"

#include "common/error.hpp"

namespace dm::config {

caf::error parse_db(const yaml_map& m, db_config& out) {
  if (auto err = m.check_keys(
          {"host", "port", "user", "password", "security"},
          {{"session", "session variables of server connections are fixed"},
           {"max-allowed-packet", "the relay accepts events up to 1 GiB, and statements to the "
                                  "downstream are sized automatically"}}))
    return err;
  if (auto err = m.read("host", out.host, true)) return err;
  if (auto err = m.read("port", out.port, 1)) return err;
  if (auto err = m.read("user", out.user, true)) return err;
  if (auto err = m.read("password", out.password)) return err;
  if (!m.has("security")) return caf::none;
  auto security = m.child("security");
  if (!security) return security.error();
  if (auto err = security->check_keys(
          {"ssl-ca", "ssl-cert", "ssl-key"},
          {{"cert-allowed-cn", "the server certificate is verified against ssl-ca and the host"},
           {"ssl-ca-bytes", "give the CA as a file with ssl-ca"},
           {"ssl-cert-bytes", "give the certificate as a file with ssl-cert"},
           {"ssl-key-bytes", "give the key as a file with ssl-key"}}))
    return err;
  if (auto err = security->read("ssl-ca", out.ssl_ca)) return err;
  if (auto err = security->read("ssl-cert", out.ssl_cert)) return err;
  if (auto err = security->read("ssl-key", out.ssl_key)) return err;
  if (out.ssl_cert.empty() != out.ssl_key.empty())
    return make_error(ec::invalid_config, security->where("ssl-cert") +
                                              " and ssl-key go together (a client certificate "
                                              "and its key)");
  return caf::none;
}

}  // namespace dm::config
