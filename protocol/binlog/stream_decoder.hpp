// Decodes a binlog event sequence in order, keeping what later events depend on: the format
// description (checksums, post-header lengths) and the table maps that rows events refer to.
// Used by the syncer and by dm-binlog.
#pragma once

#include <string_view>
#include <unordered_map>
#include <variant>

#include <caf/expected.hpp>

#include "protocol/binlog/event_header.hpp"
#include "protocol/binlog/events.hpp"
#include "protocol/binlog/rows_event.hpp"
#include "protocol/binlog/table_map.hpp"

namespace dm::binlog {

// An event of a type the decoder does not interpret (skipped by its length).
struct other_event {};

struct decoded_event {
  event_view view;
  std::variant<other_event, format_description, rotate_event, query_event, xid_event,
               mariadb_gtid_event, mariadb_gtid_list_event, mysql_gtid_event,
               previous_gtids_event, binlog_checkpoint_event, annotate_rows_event,
               table_map_event, rows_event, intvar_event, rand_event, user_var_event,
               xa_prepare_event, incident_event, heartbeat_event, begin_load_query_event,
               execute_load_query_event>
      body;
  // For rows events: the table map they refer to (owned by the decoder, valid until the next
  // decode call).
  const table_map_event* table = nullptr;
};

class stream_decoder {
 public:
  // `initial` is the checksum setting to assume before the first format description event.
  explicit stream_decoder(checksum_alg initial = checksum_alg::off, bool verify_checksums = true);

  // Decodes the next event. `raw` must stay valid as long as the result is used.
  // Errors: ec::checksum_mismatch, ec::decode_failed (truncated or corrupt bytes, a rows event
  // for a table id without a table map).
  caf::expected<decoded_event> decode(std::string_view raw);

  const format_description& format() const { return fde_; }

  // Forgets table maps (at a transaction boundary where a reader restarts).
  void clear_tables() { tables_.clear(); }

 private:
  format_description fde_;
  bool verify_;
  std::unordered_map<uint64_t, table_map_event> tables_;
  // Set after the last rows event of a statement: table maps expire with the statement.
  bool clear_pending_ = false;
};

}  // namespace dm::binlog
