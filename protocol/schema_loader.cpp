#include "protocol/schema_loader.hpp"

#include <algorithm>
#include <map>

#include "common/ascii_case.hpp"
#include "common/numbers.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

bool is_binary_type(const std::string& data_type) {
  static const char* binary_types[] = {
      "binary",   "varbinary",  "tinyblob",   "blob",      "mediumblob",   "longblob",
      "geometry", "point",      "linestring", "polygon",   "multipoint",   "multilinestring",
      "multipolygon", "geometrycollection"};
  return std::any_of(std::begin(binary_types), std::end(binary_types),
                     [&](const char* t) { return data_type == t; });
}

// " WHERE TABLE_SCHEMA = 'db' AND TABLE_NAME = 'table'"
std::string table_condition(const std::string& db, const std::string& table) {
  std::string where = " WHERE TABLE_SCHEMA = ";
  sql::append_escaped(where, db);
  where += " AND TABLE_NAME = ";
  sql::append_escaped(where, table);
  return where;
}

}  // namespace

caf::expected<collation_charsets> load_collation_charsets(mysql_connection& conn) {
  collation_charsets out;
  auto rows = conn.query(
      "SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE ID IS NOT NULL");
  if (!rows) return rows.error();
  for (auto& r : *rows)
    if (r[0] && r[1])
      if (auto id = to_unsigned(*r[0])) out[static_cast<uint32_t>(*id)] = *r[1];
  // MariaDB 10.10+ lists the ids of collations shared by several charsets (uca1400) here.
  auto extra = conn.query("SELECT ID, CHARACTER_SET_NAME FROM "
                          "information_schema.COLLATION_CHARACTER_SET_APPLICABILITY "
                          "WHERE ID IS NOT NULL");
  if (extra)
    for (auto& r : *extra)
      if (r[0] && r[1])
      if (auto id = to_unsigned(*r[0])) out[static_cast<uint32_t>(*id)] = *r[1];
  return out;
}

std::optional<table_schema> schema_from_table_map(const binlog::table_map_event& table,
                                                  const collation_charsets& charsets) {
  if (!table.has_column_names) return std::nullopt;
  table_schema s;
  s.db = table.db;
  s.table = table.table;
  for (auto& c : table.columns) {
    column_def def;
    def.name = c.name;
    def.is_unsigned = c.is_unsigned.value_or(false);
    if (c.collation) {
      auto it = charsets.find(*c.collation);
      if (it == charsets.end()) return std::nullopt;  // unknown collation: ask the server
      def.charset = it->second;
      if (def.charset == "binary" && c.real_type == binlog::column_type::string)
        def.binary_length = c.max_length;
    } else if (c.real_type == binlog::column_type::geometry) {
      def.charset = "binary";
    } else if (binlog::is_character_type(c.type) && c.real_type != binlog::column_type::enum_ &&
               c.real_type != binlog::column_type::set) {
      return std::nullopt;  // a string column without a logged charset
    }
    s.columns.push_back(std::move(def));
  }
  for (auto& [index, prefix] : table.primary_key) s.primary_key.push_back(index);
  return s;
}

caf::expected<table_schema> load_table_schema(mysql_connection& conn, const std::string& db,
                                              const std::string& table) {
  auto where = table_condition(db, table);
  auto cols = conn.query(
      "SELECT COLUMN_NAME, COLUMN_TYPE, CHARACTER_SET_NAME, EXTRA, DATA_TYPE, IS_NULLABLE, "
      "DATETIME_PRECISION, CHARACTER_OCTET_LENGTH FROM information_schema.COLUMNS" +
      where + " ORDER BY ORDINAL_POSITION");
  if (!cols) return cols.error();
  if (cols->empty())
    return make_error(ec::not_found, conn.label() + ": table " + sql::qualified_name(db, table) +
                                         " does not exist");
  table_schema s;
  s.db = db;
  s.table = table;
  std::map<std::string, size_t> index_of;
  std::vector<bool> not_null;
  for (auto& r : *cols) {
    column_def def;
    def.name = r[0].value_or("");
    auto column_type = ascii_lower(r[1].value_or(""));
    auto extra = ascii_lower(r[3].value_or(""));
    auto data_type = ascii_lower(r[4].value_or(""));
    def.is_unsigned = column_type.find("unsigned") != std::string::npos;
    def.generated = extra.find("generated") != std::string::npos;
    if (r[6]) def.fsp = static_cast<uint8_t>(std::min<uint64_t>(6, to_unsigned(*r[6]).value_or(0)));
    def.data_type = data_type;
    if (data_type == "binary" && r[7])
      def.binary_length = static_cast<uint32_t>(to_unsigned(*r[7]).value_or(0));
    if (r[2]) def.charset = *r[2];
    else if (is_binary_type(data_type)) def.charset = "binary";
    index_of[def.name] = s.columns.size();
    not_null.push_back(r[5].value_or("YES") == "NO");
    s.columns.push_back(std::move(def));
  }
  auto keys = conn.query(
      "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS" + where +
      " AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX");
  if (!keys) return keys.error();
  std::map<std::string, std::vector<size_t>> unique;
  for (auto& r : *keys) {
    auto it = index_of.find(r[1].value_or(""));
    if (it != index_of.end()) unique[r[0].value_or("")].push_back(it->second);
  }
  for (auto& [name, columns] : unique) {
    if (name == "PRIMARY") {
      s.primary_key = columns;
      continue;
    }
    s.unique_keys.push_back(columns);
    if (std::all_of(columns.begin(), columns.end(), [&](size_t i) { return not_null[i]; }))
      s.not_null_unique_keys.push_back(columns);
  }
  return s;
}

caf::expected<sql::table_definition> load_table_definition(mysql_connection& conn,
                                                           const std::string& db,
                                                           const std::string& table) {
  auto where = table_condition(db, table);
  auto cols = conn.query("SELECT COLUMN_NAME, COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS" +
                         where);
  if (!cols) return cols.error();
  sql::table_definition def;
  for (auto& r : *cols) {
    auto type = sql::parse_declared_type(r[1].value_or(""));
    if (!type) continue;
    type->auto_increment = ascii_lower(r[2].value_or("")).find("auto_increment") != std::string::npos;
    def.columns[ascii_upper(r[0].value_or(""))] = std::move(*type);
  }
  auto keys = conn.query("SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM "
                         "information_schema.STATISTICS" + where +
                         " ORDER BY INDEX_NAME, SEQ_IN_INDEX");
  if (!keys) return keys.error();
  for (auto& r : *keys) {
    auto index = ascii_upper(r[0].value_or(""));
    def.indexes.insert(index);
    if (r[2].value_or("1") == "0" && index != "PRIMARY")
      def.unique_indexes[index].push_back(ascii_upper(r[1].value_or("")));
  }
  return def;
}

caf::expected<sql::default_collations> load_default_collations(mysql_connection& conn) {
  auto rows = conn.query("SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM "
                         "information_schema.COLLATIONS WHERE IS_DEFAULT = 'Yes'");
  if (!rows) return rows.error();
  sql::default_collations defaults;
  for (auto& r : *rows)
    if (r[0] && r[1]) defaults[ascii_lower(*r[0])] = *r[1];
  // MariaDB 11.2+ may name other defaults per set ("utf8mb4=utf8mb4_uca1400_ai_ci,...").
  auto chosen = conn.query("SHOW VARIABLES LIKE 'character_set_collations'");
  if (!chosen) return chosen.error();
  for (auto& r : *chosen) {
    std::string list = r.size() > 1 && r[1] ? *r[1] : "";
    for (size_t at = 0; at < list.size();) {
      auto comma = list.find(',', at);
      auto item = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (auto eq = item.find('='); eq != std::string::npos)
        defaults[ascii_lower(item.substr(0, eq))] = item.substr(eq + 1);
      at = comma == std::string::npos ? list.size() : comma + 1;
    }
  }
  return defaults;
}

}  // namespace dm
