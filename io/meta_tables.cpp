#include "io/meta_tables.hpp"

#include <mysqld_error.h>

#include "common/error.hpp"

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

caf::error erase_meta_rows(mysql_connection& conn, const meta_scope& scope) {
  for (auto* table : {"load_marks", "apply_marks"}) {
    auto statement = "DELETE FROM " + meta_table(scope.meta_schema, table) + scope_condition(scope);
    if (auto err = conn.execute(statement)) {
      auto errnum = conn.last_errno();
      if (errnum == ER_NO_SUCH_TABLE || errnum == ER_BAD_DB_ERROR) continue;
      return err;
    }
  }
  return caf::none;
}

}  // namespace dm
