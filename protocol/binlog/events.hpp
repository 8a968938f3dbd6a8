// Decoders for the bodies of non-rows events. Each takes an event_view (see event_header.hpp) and
// the governing format description, reads only inside the body, and returns a plain value; views
// in the results point into the event bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "protocol/binlog/event_header.hpp"
#include "protocol/gtid_set.hpp"

namespace dm::binlog {

struct rotate_event {
  uint64_t position = 4;
  std::string next_file;
};

// Query event status variables that matter for applying or printing a statement.
struct query_status {
  std::optional<uint32_t> flags2;
  std::optional<uint64_t> sql_mode;
  std::optional<std::string> catalog;
  std::optional<uint16_t> auto_increment_increment, auto_increment_offset;
  // character_set_client, collation_connection, collation_server (collation ids)
  std::optional<uint16_t> charset_client, collation_connection, collation_server;
  std::optional<std::string> time_zone;
  std::optional<uint16_t> lc_time_names;
  std::optional<uint16_t> collation_database;
  std::optional<uint64_t> table_map_for_update;
  std::optional<std::string> invoker_user, invoker_host;
  std::vector<std::string> updated_db_names;
  std::optional<uint32_t> microseconds;
  std::optional<bool> explicit_defaults_for_timestamp;
  std::optional<uint64_t> ddl_xid;
  std::optional<uint16_t> default_collation_for_utf8mb4;
  std::optional<bool> sql_require_primary_key;
  std::optional<bool> default_table_encryption;
  std::optional<uint64_t> xid;
};

struct query_event {
  uint32_t thread_id = 0;
  uint32_t exec_time = 0;
  uint16_t error_code = 0;
  std::string db;
  std::string query;
  query_status status;
};

struct xid_event {
  uint64_t xid = 0;
};

// MariaDB GTID event: begins every event group.
struct mariadb_gtid_event {
  mariadb_gtid gtid;
  uint8_t flags = 0;
  std::optional<uint64_t> commit_id;
  // XA transaction id when the group is an XA PREPARE or its completion.
  std::optional<std::string> xa_xid;

  // FL_STANDALONE: no terminating COMMIT/XID; the group is a single statement (DDL).
  bool standalone() const { return flags & 0x01; }
};

struct mariadb_gtid_list_event {
  std::vector<mariadb_gtid> gtids;
  uint8_t flags = 0;
};

// MySQL GTID / anonymous GTID event.
struct mysql_gtid_event {
  bool anonymous = false;
  uint8_t flags = 0;
  // Canonical 36-character text form.
  std::string uuid;
  uint64_t gno = 0;
  std::optional<int64_t> last_committed, sequence_number;
};

struct previous_gtids_event {
  gtid_set gtids;
};

struct binlog_checkpoint_event {
  std::string file;
};

struct annotate_rows_event {
  std::string query;
};

struct intvar_event {
  // 1 = LAST_INSERT_ID, 2 = INSERT_ID
  uint8_t kind = 0;
  uint64_t value = 0;
};

struct rand_event {
  uint64_t seed1 = 0, seed2 = 0;
};

struct user_var_event {
  std::string name;
  bool is_null = false;
  // Item_result: 0 STRING, 1 REAL, 2 INT, 4 DECIMAL
  uint8_t value_type = 0;
  uint32_t charset = 0;
  std::string value;
  uint8_t flags = 0;
};

struct xa_prepare_event {
  bool one_phase = false;
  int32_t format_id = 0;
  std::string gtrid, bqual;
};

struct incident_event {
  uint16_t kind = 0;
  std::string message;
};

struct heartbeat_event {
  std::string log_file;
};

struct begin_load_query_event {
  uint32_t file_id = 0;
  std::string_view block;
};

struct execute_load_query_event {
  query_event query;
  uint32_t file_id = 0;
  uint32_t start_pos = 0, end_pos = 0;
  uint8_t dup_handling = 0;
};

caf::expected<rotate_event> decode_rotate(const event_view& ev, const format_description& fde);
caf::expected<query_event> decode_query(const event_view& ev, const format_description& fde);
caf::expected<xid_event> decode_xid(const event_view& ev);
caf::expected<mariadb_gtid_event> decode_mariadb_gtid(const event_view& ev);
caf::expected<mariadb_gtid_list_event> decode_mariadb_gtid_list(const event_view& ev);
caf::expected<mysql_gtid_event> decode_mysql_gtid(const event_view& ev);
caf::expected<previous_gtids_event> decode_previous_gtids(const event_view& ev);
caf::expected<binlog_checkpoint_event> decode_binlog_checkpoint(const event_view& ev);
caf::expected<annotate_rows_event> decode_annotate_rows(const event_view& ev);
caf::expected<intvar_event> decode_intvar(const event_view& ev);
caf::expected<rand_event> decode_rand(const event_view& ev);
caf::expected<user_var_event> decode_user_var(const event_view& ev);
caf::expected<xa_prepare_event> decode_xa_prepare(const event_view& ev);
caf::expected<incident_event> decode_incident(const event_view& ev);
caf::expected<heartbeat_event> decode_heartbeat(const event_view& ev);
caf::expected<begin_load_query_event> decode_begin_load_query(const event_view& ev,
                                                              const format_description& fde);
caf::expected<execute_load_query_event> decode_execute_load_query(const event_view& ev,
                                                                  const format_description& fde);

// Uncompresses a MariaDB compressed body (QUERY_COMPRESSED, *_ROWS_COMPRESSED): one header byte
// 0x8N where N is the byte count of the big-endian uncompressed length, then zlib data.
caf::expected<std::string> uncompress_mariadb(std::string_view compressed);

}  // namespace dm::binlog
