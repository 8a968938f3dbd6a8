#include "protocol/downstream_session.hpp"

namespace dm {

caf::expected<mysql_connection> open_downstream_session(const connection_params& params,
                                                        std::string label) {
  auto conn = mysql_connection::open(params, server_role::downstream, std::move(label));
  if (!conn) return conn.error();
  auto err = conn->execute(
      "SET SESSION time_zone = '+00:00', "
      "SESSION sql_mode = 'IGNORE_SPACE,NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES', "
      "SESSION foreign_key_checks = 0");
  if (err) return err;
  return conn;
}

}  // namespace dm
