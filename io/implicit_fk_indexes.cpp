#include "io/implicit_fk_indexes.hpp"

#include <algorithm>
#include <set>

#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

caf::expected<std::vector<std::string>> implicit_fk_indexes(
    mysql_connection& conn, const std::string& db, const std::string& table,
    const std::vector<sql::foreign_key_index>& candidates) {
  if (candidates.empty()) return std::vector<std::string>{};
  // Best effort: needs a privilege most replication users do not have, and is checked below.
  (void)conn.execute("SET SESSION sql_log_bin = 0");
  auto logged = conn.query("SELECT @@session.sql_log_bin, @@session.binlog_format");
  if (!logged) return logged.error();
  if (logged->empty() || logged->front().size() < 2 || !logged->front()[0] || !logged->front()[1])
    return make_error(ec::upstream_misconfigured, "cannot read sql_log_bin and binlog_format");
  if (*logged->front()[0] != "0" && *logged->front()[1] != "ROW")
    return make_error(ec::upstream_misconfigured,
                      "binlog_format is " + *logged->front()[1] +
                          ", so a temporary table would be written to the binlog");

  auto probe = sql::qualified_name(db, "dm_fk_index_probe");
  if (auto err = conn.execute("CREATE TEMPORARY TABLE " + probe + " LIKE " +
                              sql::qualified_name(db, table)))
    return err;
  std::string alter = "ALTER TABLE " + probe;
  for (size_t i = 0; i < candidates.size(); ++i) {
    alter += (i == 0 ? " ADD KEY " : ", ADD KEY ");
    sql::append_identifier(alter, "dm_probe_" + std::to_string(i));
    alter += " (";
    for (size_t c = 0; c < candidates[i].columns.size(); ++c) {
      if (c > 0) alter += ", ";
      sql::append_identifier(alter, candidates[i].columns[c]);
    }
    alter += ')';
  }
  auto altered = conn.execute(alter);
  auto keys =
      altered ? caf::expected<result_rows>{altered} : conn.query("SHOW INDEX FROM " + probe);
  auto dropped = conn.execute("DROP TEMPORARY TABLE " + probe);
  if (!keys) return keys.error();
  if (dropped) return dropped;
  std::set<std::string> remaining;
  for (auto& row : *keys)
    if (row.size() > 2 && row[2]) remaining.insert(*row[2]);
  std::vector<std::string> implicit;
  for (auto& candidate : candidates)
    if (!remaining.count(candidate.name)) implicit.push_back(candidate.name);
  return implicit;
}

}  // namespace dm
