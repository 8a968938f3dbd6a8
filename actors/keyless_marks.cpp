#include "actors/keyless_marks.hpp"

#include "protocol/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

constexpr unsigned errno_no_such_table = 1146;
constexpr unsigned errno_no_such_database = 1049;

std::string table_name(const std::string& meta_schema) {
  return sql::qualified_name(meta_schema, "keyless_marks");
}

std::string quoted(const std::string& text) {
  std::string out;
  sql::append_string_literal(out, text, "utf8mb4");
  return out;
}

caf::expected<uint32_t> to_u32(const std::optional<std::string>& v, const std::string& what) {
  try {
    if (v) return static_cast<uint32_t>(std::stoul(*v));
  } catch (const std::exception&) {
  }
  return make_error(ec::invalid_state, "keyless_marks holds a bad " + what + " value");
}

}  // namespace

std::vector<std::string> keyless_marks_ddl(const std::string& meta_schema) {
  std::string db = "CREATE DATABASE IF NOT EXISTS ";
  sql::append_identifier(db, meta_schema);
  return {db, "CREATE TABLE IF NOT EXISTS " + table_name(meta_schema) +
                  " (task VARCHAR(128) NOT NULL, source VARCHAR(128) NOT NULL, target "
                  "VARCHAR(300) NOT NULL, segment INT UNSIGNED NOT NULL, file_index INT "
                  "UNSIGNED NOT NULL, event_offset INT UNSIGNED NOT NULL, row_index INT "
                  "UNSIGNED NOT NULL, PRIMARY KEY (task, source, target)) DEFAULT "
                  "CHARSET=utf8mb4"};
}

std::string keyless_mark_sql(const keyless_mark_scope& scope, const std::string& target,
                             const change_origin& origin) {
  return "INSERT INTO " + table_name(scope.meta_schema) +
         " (task, source, target, segment, file_index, event_offset, row_index) VALUES (" +
         quoted(scope.task) + "," + quoted(scope.source) + "," + quoted(target) + "," +
         std::to_string(origin.event.segment) + "," + std::to_string(origin.event.file_index) +
         "," + std::to_string(origin.event.offset) + "," + std::to_string(origin.row) +
         ") ON DUPLICATE KEY UPDATE segment=VALUES(segment), file_index=VALUES(file_index), "
         "event_offset=VALUES(event_offset), row_index=VALUES(row_index)";
}

caf::expected<std::map<std::string, change_origin>> load_keyless_marks(
    mysql_connection& conn, const keyless_mark_scope& scope) {
  std::map<std::string, change_origin> marks;
  auto rows = conn.query("SELECT target, segment, file_index, event_offset, row_index FROM " +
                         table_name(scope.meta_schema) + " WHERE task=" + quoted(scope.task) +
                         " AND source=" + quoted(scope.source));
  if (!rows) {
    auto errnum = conn.last_errno();
    if (errnum == errno_no_such_table || errnum == errno_no_such_database) return marks;
    return rows.error();
  }
  for (auto& r : *rows) {
    if (r.size() != 5 || !r[0]) return make_error(ec::invalid_state, "keyless_marks is malformed");
    change_origin o;
    auto segment = to_u32(r[1], "segment");
    auto file = to_u32(r[2], "file_index");
    auto offset = to_u32(r[3], "event_offset");
    auto row = to_u32(r[4], "row_index");
    for (auto* v : {&segment, &file, &offset, &row})
      if (!*v) return v->error();
    o.event = {*segment, *file, *offset};
    o.row = *row;
    marks[*r[0]] = o;
  }
  return marks;
}

}  // namespace dm
