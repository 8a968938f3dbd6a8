// Binlog event type codes of MySQL 5.7/8.0 and MariaDB 10.x.
#pragma once

#include <cstdint>

namespace dm::binlog {

enum class event_type : uint8_t {
  unknown = 0,
  start_v3 = 1,
  query = 2,
  stop = 3,
  rotate = 4,
  intvar = 5,
  load = 6,
  slave = 7,
  create_file = 8,
  append_block = 9,
  exec_load = 10,
  delete_file = 11,
  new_load = 12,
  rand = 13,
  user_var = 14,
  format_description = 15,
  xid = 16,
  begin_load_query = 17,
  execute_load_query = 18,
  table_map = 19,
  pre_ga_write_rows = 20,
  pre_ga_update_rows = 21,
  pre_ga_delete_rows = 22,
  write_rows_v1 = 23,
  update_rows_v1 = 24,
  delete_rows_v1 = 25,
  incident = 26,
  heartbeat = 27,
  ignorable = 28,
  rows_query = 29,
  write_rows_v2 = 30,
  update_rows_v2 = 31,
  delete_rows_v2 = 32,
  mysql_gtid = 33,
  mysql_anonymous_gtid = 34,
  previous_gtids = 35,
  transaction_context = 36,
  view_change = 37,
  xa_prepare = 38,
  partial_update_rows = 39,
  transaction_payload = 40,
  heartbeat_v2 = 41,
  annotate_rows = 160,
  binlog_checkpoint = 161,
  mariadb_gtid = 162,
  mariadb_gtid_list = 163,
  start_encryption = 164,
  query_compressed = 165,
  write_rows_compressed_v1 = 166,
  update_rows_compressed_v1 = 167,
  delete_rows_compressed_v1 = 168,
  write_rows_compressed = 169,
  update_rows_compressed = 170,
  delete_rows_compressed = 171,
};

// The kind of change a rows event carries.
enum class rows_kind : uint8_t { write, update, delete_ };

// Event name as mariadb-binlog prints it ("Query", "Table_map", ...); "Unknown" otherwise.
const char* event_type_name(event_type t);

// True for every rows event flavor (v1, v2, MariaDB compressed, MySQL partial update).
bool is_rows_event(event_type t);

}  // namespace dm::binlog
