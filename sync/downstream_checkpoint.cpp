#include "sync/downstream_checkpoint.hpp"

#include <algorithm>

#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

void append_key(std::string& out, const relay_key& key) {
  out += std::to_string(key.segment) + ',' + std::to_string(key.file_index) + ',' +
         std::to_string(key.offset);
}

}  // namespace

std::string checkpoint_row_sql(const meta_scope& scope, int64_t epoch, int32_t writer,
                               uint64_t run, const checkpoint_mark& mark) {
  std::string out = "INSERT INTO " + meta_table(scope.meta_schema, "sync_checkpoints") +
                    " (task, source, epoch, writer, run, segment, file_index, event_offset, "
                    "binlog_name, binlog_pos, gtid_set, safe_segment, safe_file_index, "
                    "safe_offset) VALUES (";
  sql::append_escaped(out, scope.task);
  out += ',';
  sql::append_escaped(out, scope.source);
  out += ',' + std::to_string(epoch) + ',' + std::to_string(writer) + ',' +
         std::to_string(run) + ',';
  append_key(out, mark.next);
  out += ',';
  sql::append_escaped(out, mark.position.file);
  out += ',' + std::to_string(mark.position.pos) + ',';
  sql::append_escaped(out, mark.gtid_set);
  out += ',';
  append_key(out, mark.safe_until);
  out +=
      ") ON DUPLICATE KEY UPDATE run=VALUES(run), segment=VALUES(segment), "
      "file_index=VALUES(file_index), event_offset=VALUES(event_offset), "
      "binlog_name=VALUES(binlog_name), binlog_pos=VALUES(binlog_pos), "
      "gtid_set=VALUES(gtid_set), safe_segment=VALUES(safe_segment), "
      "safe_file_index=VALUES(safe_file_index), safe_offset=VALUES(safe_offset)";
  return out;
}

std::optional<storage::sync_checkpoint> merge_checkpoint_rows(
    const std::vector<checkpoint_row>& rows) {
  const checkpoint_row* newest = nullptr;
  for (auto& row : rows)
    if (!newest || newest->updated < row.updated) newest = &row;
  if (!newest) return std::nullopt;
  storage::sync_checkpoint cp;
  cp.run = newest->run;
  // Keys of different owners belong to different relays (their segments count differently):
  // only the latest owner's rows count. Its start row carries what it inherited.
  int64_t epoch = newest->epoch;
  for (auto& row : rows)
    if (row.run == cp.run) epoch = std::max(epoch, row.epoch);
  bool first = true;
  for (auto& row : rows) {
    if (row.run != cp.run || row.epoch != epoch) continue;
    if (first || cp.next < row.mark.next) {
      cp.next = row.mark.next;
      cp.position = row.mark.position;
      cp.gtid_set = row.mark.gtid_set;
    }
    if (first || cp.safe_until < row.mark.safe_until) cp.safe_until = row.mark.safe_until;
    first = false;
  }
  cp.clean_stop = !(cp.next < cp.safe_until);
  if (cp.clean_stop) cp.safe_until = cp.next;
  return cp;
}

}  // namespace dm
