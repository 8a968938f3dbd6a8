#include "protocol/sql/dml.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

#include "common/error.hpp"
#include "protocol/sql/literal.hpp"
#include "protocol/sql/quote.hpp"

namespace dm::sql {

namespace {

using binlog::cell_kind;

bool writable(const table_schema& schema, const row_image& image, size_t i) {
  return image[i].kind != cell_kind::absent && !schema.columns[i].generated;
}

// "(`a`,`b`,...)"-style list of the columns `image` writes, as `col_fn(name)` renders each.
template <class ColumnFn>
void append_writable_columns(std::string& out, const table_schema& schema, const row_image& image,
                             ColumnFn col_fn) {
  bool any = false;
  for (size_t i = 0; i < image.size(); ++i) {
    if (!writable(schema, image, i)) continue;
    if (any) out += ',';
    any = true;
    col_fn(schema.columns[i].name);
  }
}

// The value of constant column `c` (table_schema::constant_columns): names are UTF-8.
void append_constant(std::string& out, const std::pair<std::string, std::string>& c) {
  append_string_literal(out, c.second, "utf8mb4");
}

// " AND `c`=value" for each constant column.
void append_constant_conditions(std::string& out, const table_schema& schema) {
  for (auto& c : schema.constant_columns) {
    out += " AND ";
    append_identifier(out, c.first);
    out += '=';
    append_constant(out, c);
  }
}

caf::error check_width(const table_schema& schema, const row_image& image) {
  if (image.size() == schema.columns.size()) return caf::none;
  return make_error(ec::decode_failed,
                    "row image of " + schema.db + "." + schema.table + " has " +
                        std::to_string(image.size()) + " columns, the table has " +
                        std::to_string(schema.columns.size()));
}

caf::error append_condition(std::string& out, const table_schema& schema, const row_image& row,
                            size_t i) {
  append_identifier(out, schema.columns[i].name);
  if (row[i].is_null()) {
    out += " IS NULL";
    return caf::none;
  }
  out += '=';
  if (row[i].kind == cell_kind::float32 || row[i].kind == cell_kind::float64) {
    // The server compares a FLOAT column as the double it widens to; the shortest spelling of
    // that double, as a double literal, compares equal to it (a FLOAT's own nine-digit spelling
    // would not).
    char buf[40];
    auto end = std::to_chars(buf, buf + sizeof buf, row[i].d).ptr;
    out.append(buf, end);
    if (std::string_view{buf, static_cast<size_t>(end - buf)}.find('e') == std::string_view::npos)
      out += "E0";
    // -0 and 0 compare equal: the sign tells the row with one from the row with the other.
    if (row[i].d == 0) {
      out += " AND ATAN2(";
      append_identifier(out, schema.columns[i].name);
      out += std::signbit(row[i].d) ? ", -1) < 0" : ", -1) > 0";
    }
    return caf::none;
  }
  return append_literal(out, row[i], schema.columns[i]);
}

// WHERE clause identifying `row`: its identity key, or all its columns when the table has none
// (generated columns excepted: they follow from the others).
caf::error append_where(std::string& out, const table_schema& schema, const row_image& row) {
  out += " WHERE ";
  const auto& key = schema.identity_key();
  bool first = true;
  auto add = [&](size_t i) -> caf::error {
    if (!first) out += " AND ";
    first = false;
    return append_condition(out, schema, row, i);
  };
  if (!key.empty()) {
    for (auto i : key) {
      if (row[i].kind == cell_kind::absent)
        return make_error(ec::decode_failed, "row image of " + schema.db + "." + schema.table +
                                                 " lacks key column `" + schema.columns[i].name +
                                                 "`");
      if (auto err = add(i)) return err;
    }
  } else {
    for (size_t i = 0; i < row.size(); ++i) {
      auto k = row[i].kind;
      if (k == cell_kind::absent) continue;
      if (schema.columns[i].generated) continue;
      if (auto err = add(i)) return err;
    }
    if (first) out += "1=1";
  }
  append_constant_conditions(out, schema);
  out += " LIMIT 1";
  return caf::none;
}

}  // namespace

caf::error append_insert(std::string& out, const std::string& target, const table_schema& schema,
                         const std::vector<const row_image*>& rows, bool replace) {
  const auto& first = *rows.front();
  if (auto err = check_width(schema, first)) return err;
  out += replace ? "REPLACE INTO " : "INSERT INTO ";
  out += target;
  out += " (";
  append_writable_columns(out, schema, first,
                          [&](const std::string& name) { append_identifier(out, name); });
  for (auto& c : schema.constant_columns) {
    out += ',';
    append_identifier(out, c.first);
  }
  out += ") VALUES ";
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = *rows[r];
    if (auto err = check_width(schema, row)) return err;
    if (r > 0) out += ',';
    out += '(';
    bool sep = false;
    for (size_t i = 0; i < row.size(); ++i) {
      if (!writable(schema, first, i)) continue;
      if (sep) out += ',';
      sep = true;
      if (auto err = append_literal(out, row[i], schema.columns[i])) return err;
    }
    for (auto& c : schema.constant_columns) {
      out += ',';
      append_constant(out, c);
    }
    out += ')';
  }
  return caf::none;
}

caf::error append_upsert(std::string& out, const std::string& target, const table_schema& schema,
                         const std::vector<const row_image*>& rows) {
  if (auto err = append_insert(out, target, schema, rows, false)) return err;
  const auto& first = *rows.front();
  out += " ON DUPLICATE KEY UPDATE ";
  append_writable_columns(out, schema, first, [&](const std::string& name) {
    append_identifier(out, name);
    out += "=VALUES(";
    append_identifier(out, name);
    out += ')';
  });
  return caf::none;
}

caf::error append_delete_keys(std::string& out, const std::string& target,
                              const table_schema& schema,
                              const std::vector<const row_image*>& rows) {
  const auto& key = schema.identity_key();
  if (key.empty())
    return make_error(ec::invalid_argument,
                      schema.db + "." + schema.table + " has no key to delete rows by");
  out += "DELETE FROM ";
  out += target;
  out += " WHERE ";
  if (key.size() > 1) out += '(';
  for (size_t k = 0; k < key.size(); ++k) {
    if (k) out += ',';
    append_identifier(out, schema.columns[key[k]].name);
  }
  out += key.size() > 1 ? ") IN (" : " IN (";
  // The constant columns are the same for every row: one condition after the list.
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = *rows[r];
    if (auto err = check_width(schema, row)) return err;
    if (r) out += ',';
    if (key.size() > 1) out += '(';
    for (size_t k = 0; k < key.size(); ++k) {
      if (k) out += ',';
      if (row[key[k]].kind == cell_kind::absent)
        return make_error(ec::decode_failed, "row image of " + schema.db + "." + schema.table +
                                                 " lacks key column `" +
                                                 schema.columns[key[k]].name + "`");
      if (auto err = append_literal(out, row[key[k]], schema.columns[key[k]])) return err;
    }
    if (key.size() > 1) out += ')';
  }
  out += ')';
  append_constant_conditions(out, schema);
  return caf::none;
}

caf::error append_delete(std::string& out, const std::string& target, const table_schema& schema,
                         const row_image& before) {
  if (auto err = check_width(schema, before)) return err;
  out += "DELETE FROM ";
  out += target;
  return append_where(out, schema, before);
}

caf::error append_update(std::string& out, const std::string& target, const table_schema& schema,
                         const row_image& before, const row_image& after) {
  if (auto err = check_width(schema, before)) return err;
  if (auto err = check_width(schema, after)) return err;
  out += "UPDATE ";
  out += target;
  out += " SET ";
  bool any = false;
  for (size_t i = 0; i < after.size(); ++i) {
    if (!writable(schema, after, i)) continue;
    if (any) out += ',';
    any = true;
    append_identifier(out, schema.columns[i].name);
    out += '=';
    if (auto err = append_literal(out, after[i], schema.columns[i])) return err;
  }
  if (!any) return make_error(ec::decode_failed, "update of " + schema.db + "." + schema.table +
                                                     " has no column in its after image");
  return append_where(out, schema, before);
}

}  // namespace dm::sql
