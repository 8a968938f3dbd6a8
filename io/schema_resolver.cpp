#include "io/schema_resolver.hpp"

#include "io/connection_settings.hpp"
#include "sync/fk_groups.hpp"
#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

// Copies the keys, generated-column flags and fractional digits of `current` onto `logged` by
// column name; keys naming a column `logged` lacks are dropped.
void merge_by_name(table_schema& logged, const table_schema& current) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < logged.columns.size(); ++i) index[logged.columns[i].name] = i;
  auto map_key = [&](const std::vector<size_t>& key, std::vector<size_t>& out) {
    for (auto c : key) {
      auto it = index.find(current.columns[c].name);
      if (it == index.end()) return false;
      out.push_back(it->second);
    }
    return true;
  };
  for (auto& key : current.unique_keys) {
    std::vector<size_t> mapped;
    if (map_key(key, mapped)) logged.unique_keys.push_back(mapped);
  }
  for (auto& key : current.not_null_unique_keys) {
    std::vector<size_t> mapped;
    if (map_key(key, mapped)) logged.not_null_unique_keys.push_back(mapped);
  }
  if (logged.primary_key.empty()) {
    std::vector<size_t> mapped;
    if (map_key(current.primary_key, mapped)) logged.primary_key = mapped;
  }
  for (auto& c : current.columns)
    if (auto it = index.find(c.name); it != index.end()) {
      logged.columns[it->second].generated = c.generated;
      logged.columns[it->second].fsp = c.fsp;
      if (!logged.columns[it->second].binary_length)
        logged.columns[it->second].binary_length = c.binary_length;
    }
}

}  // namespace

caf::expected<std::string> schema_resolver::fk_group(const std::string& target_db,
                                                    const std::string& target_table) {
  if (!fk_groups_) {
    auto conn = connection(false);
    if (!conn) return conn.error();
    auto rows = (*conn)->query(
        "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME "
        "FROM information_schema.REFERENTIAL_CONSTRAINTS");
    if (!rows) {
      downstream_conn_.reset();
      return rows.error();
    }
    std::vector<fk_edge> edges;
    for (auto& r : *rows)
      if (r.size() == 4 && r[0] && r[1] && r[2] && r[3])
        edges.push_back({sql::qualified_name(*r[0], *r[1]), sql::qualified_name(*r[2], *r[3])});
    fk_groups_ = fk_groups(edges);
  }
  auto it = fk_groups_->find(sql::qualified_name(target_db, target_table));
  return it == fk_groups_->end() ? std::string{} : it->second;
}

schema_resolver::schema_resolver(db_config upstream, db_config downstream, std::string label)
    : upstream_(std::move(upstream)), downstream_(std::move(downstream)), label_(std::move(label)) {}

caf::expected<mysql_connection*> schema_resolver::connection(bool upstream) {
  auto& slot = upstream ? upstream_conn_ : downstream_conn_;
  if (!slot) {
    auto conn = mysql_connection::open(
        to_connection_params(upstream ? upstream_ : downstream_),
        upstream ? server_role::upstream : server_role::downstream,
        (upstream ? "upstream of " : "downstream of ") + label_);
    if (!conn) return conn.error();
    slot.emplace(std::move(*conn));
  }
  return &*slot;
}

caf::expected<std::shared_ptr<const table_schema>> schema_resolver::resolve(
    const binlog::table_map_event& table, const std::string& target_db,
    const std::string& target_table,
    const std::vector<std::pair<std::string, std::string>>& constant_columns) {
  auto key = table.db + '\0' + table.table;
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  std::optional<table_schema> logged;
  if (table.has_column_names) {
    if (!charsets_ && table.has_charsets) {
      auto conn = connection(true);
      if (!conn) return conn.error();
      auto charsets = load_collation_charsets(**conn);
      if (!charsets) return charsets.error();
      charsets_ = std::move(*charsets);
    }
    logged = schema_from_table_map(table, charsets_ ? *charsets_ : collation_charsets{});
  }
  // The table as it stands downstream, else upstream; with the binlog's metadata any version
  // serves for keys, without it the columns must line up with the table map.
  std::optional<table_schema> current;
  for (bool upstream : {false, true}) {
    auto conn = connection(upstream);
    if (!conn) {
      if (upstream) return conn.error();
      continue;
    }
    auto loaded = upstream ? load_table_schema(**conn, table.db, table.table)
                           : load_table_schema(**conn, target_db, target_table);
    if (!loaded) {
      if (code_of(loaded.error()) == ec::not_found) continue;
      return loaded.error();
    }
    if (logged || loaded->columns.size() == table.columns.size()) {
      current = std::move(*loaded);
      break;
    }
  }
  if (logged) {
    if (current) merge_by_name(*logged, *current);
  } else if (current) {
    current->db = table.db;
    current->table = table.table;
    logged = std::move(current);
  } else {
    return make_error(
        ec::unsupported,
        label_ + ": the structure of " + sql::qualified_name(table.db, table.table) +
            " at this binlog position is unknown: the binlog carries no column names, and "
            "neither the downstream " + sql::qualified_name(target_db, target_table) +
            " nor the upstream table has its " + std::to_string(table.columns.size()) +
            " columns; set binlog_row_metadata=FULL on the upstream");
  }
  logged->constant_columns = constant_columns;
  auto shared = std::make_shared<const table_schema>(std::move(*logged));
  cache_.emplace(std::move(key), shared);
  return shared;
}

std::optional<binlog::table_map_event> schema_resolver::with_legacy_fsp(
    const binlog::table_map_event& table, const table_schema& schema) {
  std::optional<binlog::table_map_event> patched;
  for (size_t i = 0; i < table.columns.size() && i < schema.columns.size(); ++i) {
    auto type = table.columns[i].real_type;
    bool legacy = type == binlog::column_type::time || type == binlog::column_type::datetime ||
                  type == binlog::column_type::timestamp;
    if (!legacy || schema.columns[i].fsp == 0) continue;
    if (!patched) patched = table;
    patched->columns[i].legacy_fsp = schema.columns[i].fsp;
  }
  return patched;
}

}  // namespace dm
