#include "sync/apply_marks.hpp"

#include "protocol/sql/quote.hpp"

namespace dm {

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

}  // namespace dm
