#include "actors/apply_marks.hpp"

#include <mysqld_error.h>

#include "protocol/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

caf::expected<uint32_t> to_u32(const std::optional<std::string>& v, const std::string& what) {
  try {
    if (v) return static_cast<uint32_t>(std::stoul(*v));
  } catch (const std::exception&) {
  }
  return make_error(ec::invalid_state, "apply_marks holds a bad " + what + " value");
}

}  // namespace

std::string apply_mark_sql(const meta_scope& scope, uint64_t run, const std::string& group,
                           const change_origin& origin) {
  std::string out = "INSERT INTO " + meta_table(scope.meta_schema, "apply_marks") +
                    " (task, source, grp, run, segment, file_index, event_offset, row_index) "
                    "VALUES (";
  sql::append_escaped(out, scope.task);
  out += ',';
  sql::append_escaped(out, scope.source);
  out += ',';
  sql::append_escaped(out, group);
  out += ',' + std::to_string(run) + ',' + std::to_string(origin.event.segment) + ',' +
         std::to_string(origin.event.file_index) + ',' + std::to_string(origin.event.offset) +
         ',' + std::to_string(origin.row) +
         ") ON DUPLICATE KEY UPDATE run=VALUES(run), segment=VALUES(segment), "
         "file_index=VALUES(file_index), event_offset=VALUES(event_offset), "
         "row_index=VALUES(row_index)";
  return out;
}

caf::expected<std::map<std::string, change_origin>> load_apply_marks(mysql_connection& conn,
                                                                     const meta_scope& scope,
                                                                     uint64_t run) {
  std::map<std::string, change_origin> marks;
  auto rows = conn.query("SELECT grp, segment, file_index, event_offset, row_index FROM " +
                         meta_table(scope.meta_schema, "apply_marks") + scope_condition(scope) +
                         " AND run = " + std::to_string(run));
  if (!rows) {
    auto errnum = conn.last_errno();
    if (errnum == ER_NO_SUCH_TABLE || errnum == ER_BAD_DB_ERROR) return marks;
    return rows.error();
  }
  for (auto& r : *rows) {
    if (r.size() != 5 || !r[0]) return make_error(ec::invalid_state, "apply_marks is malformed");
    auto segment = to_u32(r[1], "segment");
    auto file = to_u32(r[2], "file_index");
    auto offset = to_u32(r[3], "event_offset");
    auto row = to_u32(r[4], "row_index");
    for (auto* v : {&segment, &file, &offset, &row})
      if (!*v) return v->error();
    change_origin o;
    o.event = {*segment, *file, *offset};
    o.row = *row;
    marks[*r[0]] = o;
  }
  return marks;
}

}  // namespace dm
