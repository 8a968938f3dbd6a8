#include "io/loaded_chunks.hpp"

#include <map>

#include <mysqld_error.h>

#include "common/log.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

std::string own_rows_condition(const storage::dump_table& table, const std::string& condition) {
  std::string out = condition.empty() || table.constant_columns.empty()
                        ? condition
                        : "(" + condition + ")";
  for (auto& [name, value] : table.constant_columns) {
    out += out.empty() ? "" : " AND ";
    sql::append_identifier(out, name);
    out += " = ";
    sql::append_string_literal(out, value, "utf8mb4");
  }
  return out;
}

caf::expected<std::optional<std::string>> missing_chunk_rows(mysql_connection& conn,
                                                             const storage::dump_table& table,
                                                             const storage::dump_chunk& chunk) {
  auto target = sql::qualified_name(table.target_db, table.target_table);
  auto where = own_rows_condition(table, chunk.condition);
  auto count = conn.query_value("SELECT COUNT(*) FROM " + target +
                                (where.empty() ? "" : " WHERE " + where));
  if (!count) {
    auto errnum = conn.last_errno();
    if (errnum == ER_NO_SUCH_TABLE || errnum == ER_BAD_DB_ERROR)
      return std::optional<std::string>{target + " does not exist"};
    return count.error();
  }
  uint64_t rows = 0;
  try {
    rows = std::stoull(count->value_or("0"));
  } catch (const std::exception&) {
  }
  if (rows >= chunk.rows) return std::optional<std::string>{};
  return std::optional<std::string>{target + " holds " + std::to_string(rows) + " of its " +
                                    std::to_string(chunk.rows) + " rows"};
}

caf::expected<size_t> recheck_loaded_chunks(mysql_connection& conn, storage::dump_store& store,
                                            const std::string& label) {
  auto tables = store.tables();
  if (!tables) return tables.error();
  std::map<std::pair<std::string, std::string>, const storage::dump_table*> by_name;
  for (auto& t : *tables) by_name[{t.db, t.table}] = &t;
  auto chunks = store.chunks();
  if (!chunks) return chunks.error();
  size_t distrusted = 0;
  for (auto& chunk : *chunks) {
    if (chunk.stage != storage::chunk_stage::loaded) continue;
    auto table = by_name.find({chunk.db, chunk.table});
    if (table == by_name.end()) continue;
    auto missing = missing_chunk_rows(conn, *table->second, chunk);
    if (!missing) return missing.error();
    if (!*missing) continue;
    DM_WARN("{}: chunk {} is recorded loaded, but {}; it is dumped and loaded again", label,
            chunk.id, **missing);
    chunk.stage = storage::chunk_stage::planned;
    if (auto err = store.save_chunk(chunk)) return err;
    ++distrusted;
  }
  return distrusted;
}

}  // namespace dm
