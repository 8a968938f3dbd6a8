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
  return make_error(ec::invalid_state, "a meta table holds a bad " + what + " value");
}

bool table_missing(mysql_connection& conn) {
  auto errnum = conn.last_errno();
  return errnum == ER_NO_SUCH_TABLE || errnum == ER_BAD_DB_ERROR;
}

}  // namespace

caf::expected<std::map<std::string, change_origin>> load_apply_marks(mysql_connection& conn,
                                                                     const meta_scope& scope,
                                                                     uint64_t run) {
  std::map<std::string, change_origin> marks;
  auto rows = conn.query("SELECT grp, segment, file_index, event_offset, row_index FROM " +
                         meta_table(scope.meta_schema, "apply_marks") + scope_condition(scope) +
                         " AND run = " + std::to_string(run));
  if (!rows) return table_missing(conn) ? caf::expected<decltype(marks)>{marks} : rows.error();
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

caf::expected<std::vector<checkpoint_row>> load_checkpoint_rows(mysql_connection& conn,
                                                                const meta_scope& scope) {
  std::vector<checkpoint_row> out;
  auto rows = conn.query(
      "SELECT writer, run, segment, file_index, event_offset, binlog_name, binlog_pos, gtid_set, "
      "safe_segment, safe_file_index, safe_offset, updated, epoch FROM " +
      meta_table(scope.meta_schema, "sync_checkpoints") + scope_condition(scope));
  if (!rows) return table_missing(conn) ? caf::expected<decltype(out)>{out} : rows.error();
  for (auto& r : *rows) {
    if (r.size() != 13 || !r[5] || !r[7] || !r[11])
      return make_error(ec::invalid_state, "sync_checkpoints is malformed");
    std::vector<uint32_t> n;
    for (size_t i : {2, 3, 4, 6, 8, 9, 10}) {
      auto v = to_u32(r[i], "sync_checkpoints");
      if (!v) return v.error();
      n.push_back(*v);
    }
    checkpoint_row row;
    try {
      row.writer = static_cast<int32_t>(std::stol(r[0].value_or("")));
      row.run = std::stoull(r[1].value_or(""));
      row.epoch = std::stoll(r[12].value_or(""));
    } catch (const std::exception&) {
      return make_error(ec::invalid_state, "sync_checkpoints holds a bad writer or run");
    }
    row.mark.next = {n[0], n[1], n[2]};
    row.mark.position = {*r[5], n[3]};
    row.mark.gtid_set = *r[7];
    row.mark.safe_until = {n[4], n[5], n[6]};
    row.updated = *r[11];
    out.push_back(std::move(row));
  }
  return out;
}

caf::error check_fence(mysql_connection& conn, const meta_scope& scope, int32_t writer,
                       int64_t epoch, bool lock) {
  auto rows = conn.query(read_fence_sql(scope, writer, lock));
  if (!rows) return rows.error();
  int64_t held = 0;
  try {
    if (!rows->empty() && !rows->front().empty() && rows->front()[0])
      held = std::stoll(*rows->front()[0]);
  } catch (const std::exception&) {
    return make_error(ec::invalid_state, "fences holds a bad epoch");
  }
  if (held == epoch) return caf::none;
  return make_error(ec::invalid_state,
                    "task " + scope.task + " on source " + scope.source + ": the fence downstream " +
                        (held == 0 ? std::string{"is gone"}
                                   : "names a newer owner of the source (epoch " +
                                         std::to_string(held) + ")") +
                        ", not this worker's binding (epoch " + std::to_string(epoch) +
                        "); this worker writes nothing more for it");
}

caf::error raise_fence(mysql_connection& conn, const meta_scope& scope, int64_t epoch) {
  // Shorter than the take-over's probe timeout; a raise that times out is tried again later.
  if (auto err = conn.execute("SET SESSION innodb_lock_wait_timeout = 20")) return err;
  if (auto err = conn.execute(raise_fence_sql(scope, epoch))) return err;
  if (auto err = check_fence(conn, scope, 0, epoch, false)) return err;
  return conn.execute(mark_fence_raised_sql(scope, epoch));
}

caf::error erase_meta_rows(mysql_connection& conn, const meta_scope& scope) {
  for (auto* table : {"load_marks", "apply_marks", "sync_checkpoints", "fence_slots"}) {
    auto statement = "DELETE FROM " + meta_table(scope.meta_schema, table) + scope_condition(scope);
    if (auto err = conn.execute(statement)) {
      if (table_missing(conn)) continue;
      return err;
    }
  }
  return caf::none;
}

}  // namespace dm
