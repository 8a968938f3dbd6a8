#include "io/connection_settings.hpp"

namespace dm {

connection_params to_connection_params(const db_config& db) {
  connection_params p;
  p.host = db.host;
  p.port = db.port;
  p.user = db.user;
  p.password = db.password;
  p.ssl_ca = db.ssl_ca;
  p.ssl_cert = db.ssl_cert;
  p.ssl_key = db.ssl_key;
  p.read_timeout = std::chrono::seconds{300};
  p.write_timeout = std::chrono::seconds{300};
  // The client side never limits a row or statement; the server's max_allowed_packet does.
  p.max_allowed_packet = 1ul << 30;
  for (const auto& [name, value] : db.session)
    p.init_command += (p.init_command.empty() ? "SET SESSION " : ", SESSION ") + name + " = " +
                      value;
  return p;
}

}  // namespace dm
