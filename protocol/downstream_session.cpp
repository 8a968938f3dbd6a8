#include "protocol/downstream_session.hpp"

namespace dm {

const std::string& downstream_session_sql() {
  static const std::string sql =
      "SET SESSION time_zone = '+00:00', "
      "SESSION sql_mode = 'IGNORE_SPACE,NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES', "
      "SESSION foreign_key_checks = 0";
  return sql;
}

caf::expected<mysql_connection> open_downstream_session(const connection_params& params,
                                                        std::string label) {
  auto conn = mysql_connection::open(params, server_role::downstream, std::move(label));
  if (!conn) return conn.error();
  auto err = conn->execute(downstream_session_sql());
  if (err) return err;
  // Appliers write disjoint rows; without gap locks their transactions do not deadlock on
  // each other's neighbouring keys. A downstream that logs its own binlog in STATEMENT
  // format refuses InnoDB writes under READ COMMITTED, so it keeps its default level.
  auto statement_logging = conn->query_value(
      "SELECT @@log_bin = 1 AND @@binlog_format = 'STATEMENT'");
  if (!statement_logging) return statement_logging.error();
  if (!*statement_logging || **statement_logging != "1") {
    if (auto iso = conn->execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"))
      return iso;
  }
  return conn;
}

}  // namespace dm
