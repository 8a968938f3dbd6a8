#include "io/upstream_position.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace dm {

caf::expected<binlog_position> current_binlog_position(mysql_connection& conn) {
  auto rows = conn.query("SHOW MASTER STATUS");
  if (!rows) return rows.error();
  if (rows->empty() || (*rows)[0].size() < 2 || !(*rows)[0][0] || !(*rows)[0][1])
    return binlog_position{};
  try {
    return binlog_position{*(*rows)[0][0], static_cast<uint32_t>(std::stoul(*(*rows)[0][1]))};
  } catch (const std::exception&) {
    return make_error(ec::invalid_state, "SHOW MASTER STATUS returned the position '" +
                                             *(*rows)[0][1] + "'");
  }
}

std::string executed_gtid_set(mysql_connection& conn) {
  for (auto* query : {"SELECT @@GLOBAL.gtid_binlog_pos", "SELECT @@GLOBAL.gtid_executed"}) {
    auto value = conn.query_value(query);
    if (!value) continue;
    auto set = value->value_or("");
    // MySQL prints multi-server sets over several lines.
    set.erase(std::remove(set.begin(), set.end(), '\n'), set.end());
    return set;
  }
  return "";
}

}  // namespace dm
