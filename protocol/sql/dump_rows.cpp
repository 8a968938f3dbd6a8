#include "protocol/sql/dump_rows.hpp"

#include <cstdio>

#include "protocol/sql/quote.hpp"

namespace dm::sql {

namespace {

enum class value_form { number, quoted_text, string };

bool is_one_of(const std::string& type, std::initializer_list<const char*> names) {
  for (auto* n : names)
    if (type == n) return true;
  return false;
}

// Numbers read as numbers: FLOAT as the DOUBLE it widens to exactly (see dump_select_list),
// BIT/ENUM/SET as integers.
bool read_as_number(const column_def& c) {
  return is_one_of(c.data_type, {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal",
                                 "float", "double", "bit", "year", "enum", "set"});
}

bool read_as_quoted_text(const column_def& c) {
  return is_one_of(c.data_type, {"date", "time", "datetime", "timestamp"});
}

value_form form_of(const column_def& c) {
  if (read_as_number(c)) return value_form::number;
  if (read_as_quoted_text(c)) return value_form::quoted_text;
  return value_form::string;
}

}  // namespace

std::vector<size_t> dumped_columns(const table_schema& schema) {
  std::vector<size_t> out;
  for (size_t i = 0; i < schema.columns.size(); ++i)
    if (!schema.columns[i].generated) out.push_back(i);
  return out;
}

std::string dump_select_list(const table_schema& schema, const std::vector<size_t>& columns) {
  std::string out;
  for (auto i : columns) {
    if (!out.empty()) out += ',';
    const auto& c = schema.columns[i];
    if (c.data_type == "float") {
      // A FLOAT as the DOUBLE it widens to, but negative zero (printed as 0) as a tiny negative
      // value that the load's FLOAT column underflows to -0 again.
      std::string name;
      append_identifier(name, c.name);
      out += "IF(" + name + " = 0 AND ATAN2(" + name + ", -1) < 0, -1e-50, " + name + " * 1e0)";
      continue;
    }
    append_identifier(out, c.name);
    if (is_one_of(c.data_type, {"bit", "enum", "set"})) out += "+0";
  }
  return out;
}

std::string load_column_clause(
    const table_schema& schema, const std::vector<size_t>& columns,
    const std::vector<std::pair<std::string, std::string>>& constant_columns) {
  std::string list = "(", assignments;
  for (auto i : columns) {
    if (list.size() > 1) list += ',';
    const auto& c = schema.columns[i];
    // Numbers of BIT/ENUM/SET, and MySQL JSON (which refuses binary strings), go through a
    // variable; everything else is stored as it is.
    std::string_view conversion;
    if (is_one_of(c.data_type, {"bit", "enum", "set"})) conversion = "CAST(@ AS UNSIGNED)";
    else if (c.data_type == "json" && c.charset.empty()) conversion = "CONVERT(@ USING utf8mb4)";
    if (conversion.empty()) {
      append_identifier(list, c.name);
      continue;
    }
    auto variable = "@dm" + std::to_string(i);
    list += variable;
    std::string expression{conversion};
    expression.replace(expression.find('@'), 1, variable);
    assignments += assignments.empty() ? " SET " : ", ";
    append_identifier(assignments, c.name);
    assignments += " = " + expression;
  }
  for (auto& [name, value] : constant_columns) {
    assignments += assignments.empty() ? " SET " : ", ";
    append_identifier(assignments, name);
    assignments += " = ";
    append_string_literal(assignments, value, "utf8mb4");
  }
  return list + ")" + assignments;
}

void append_load_field(std::string& out, std::optional<std::string_view> value) {
  if (!value) {
    out += R"(\N)";
    return;
  }
  // Copies runs of plain bytes at once; only the five special bytes are escaped.
  const char* p = value->data();
  const char* end = p + value->size();
  const char* run = p;
  for (; p != end; ++p) {
    char escaped;
    switch (*p) {
      case '\\': escaped = '\\'; break;
      case '\t': escaped = 't'; break;
      case '\n': escaped = 'n'; break;
      case '\r': escaped = 'r'; break;
      case '\0': escaped = '0'; break;
      default: continue;
    }
    out.append(run, p);
    out += '\\';
    out += escaped;
    run = p + 1;
  }
  out.append(run, end);
}

void append_dump_value(std::string& out, std::optional<std::string_view> value,
                       const column_def& column) {
  if (!value) {
    out += "NULL";
    return;
  }
  switch (form_of(column)) {
    case value_form::number:
      out += *value;
      return;
    case value_form::quoted_text:
      append_escaped(out, *value);
      return;
    case value_form::string:
      // MySQL's JSON columns report no charset; their text is utf8mb4 (and a binary string
      // is refused there).
      if (column.data_type == "json" && column.charset.empty())
        append_hex_literal(out, *value, "utf8mb4");
      else
        append_hex_literal(out, *value, column.charset.empty() ? "binary" : column.charset);
      return;
  }
}

std::string key_range_condition(const table_schema& schema, const std::vector<size_t>& key,
                                const std::vector<std::string>& lower,
                                const std::vector<std::string>& upper) {
  // after(i): key[i..] > lower[i..]  as  k_i > v_i OR (k_i = v_i AND after(i+1)); the last
  // column compares with `last_op`.
  auto bound = [&](const std::vector<std::string>& values, const char* strict,
                   const char* last_op) {
    std::string out;
    for (size_t i = 0; i < key.size(); ++i) {
      std::string column;
      append_identifier(column, schema.columns[key[i]].name);
      bool last = i + 1 == key.size();
      out += '(' + column + (last ? last_op : strict) + values[i];
      if (!last) out += " OR (" + column + '=' + values[i] + " AND ";
    }
    for (size_t i = 0; i + 1 < key.size(); ++i) out += "))";
    out += ')';
    return out;
  };
  std::string out;
  if (!lower.empty()) out = bound(lower, ">", ">");
  if (!upper.empty()) {
    if (!out.empty()) out += " AND ";
    out += bound(upper, "<", "<=");
  }
  return out;
}

std::string file_name_part(std::string_view name) {
  std::string out;
  for (unsigned char ch : name) {
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '_' || ch == '-') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

}  // namespace dm::sql
