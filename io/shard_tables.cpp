#include "io/shard_tables.hpp"

#include "common/ascii_case.hpp"
#include "io/connection_settings.hpp"
#include "protocol/mysql_connection.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

caf::expected<shard_table_list> list_shard_tables(const std::string& task,
                                                  const source_config& source,
                                                  table_rules& rules) {
  auto conn = mysql_connection::open(to_connection_params(source.from), server_role::upstream,
                                     "upstream of source " + source.source_id);
  if (!conn) return conn.error();
  auto rows = conn->query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                          "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', "
                          "'information_schema', 'performance_schema', 'sys')");
  if (!rows) return rows.error();
  shard_table_list out{task, source.source_id, {}};
  for (auto& r : *rows) {
    if (!r[0] || !r[1] || !rules.replicated(*r[0], *r[1])) continue;
    auto target = rules.route(*r[0], *r[1]);
    if (!target) continue;  // its events stop the part, naming the route
    if (!rules.is_shard(*r[0], *r[1])) continue;
    // Names as the syncer keys shards (without case unless the source is case-sensitive).
    auto name = [&](const std::string& n) { return source.case_sensitive ? n : ascii_lower(n); };
    out.by_target[sql::qualified_name(target->first, target->second)].insert(
        {source.source_id, name(*r[0]), name(*r[1])});
  }
  return out;
}

}  // namespace dm
