#include "protocol/binlog/events.hpp"

#include <cstdio>

#include <zlib.h>

#include "protocol/binlog/byte_reader.hpp"
#include "common/error.hpp"

namespace dm::binlog {

namespace {

caf::error truncated(event_type t) {
  return make_error(ec::decode_failed, std::string{"binlog event cannot be decoded: "} +
                                           event_type_name(t) + " event is truncated or corrupt");
}

std::string uuid_text(std::string_view raw16) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < raw16.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    auto b = static_cast<uint8_t>(raw16[i]);
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// Parses the status variable block of a query event. Stops at the first code it does not know,
// since the length of an unknown variable cannot be known; the block's total length is given by
// the post-header, so the statement is still found.
void parse_status_vars(byte_reader r, query_status& s) {
  while (r.remaining() > 0 && !r.failed()) {
    auto code = r.u8();
    switch (code) {
      case 0: s.flags2 = r.u32(); break;
      case 1: s.sql_mode = r.u64(); break;
      case 2: {  // Q_CATALOG_CODE: length, bytes, trailing NUL
        auto n = r.u8();
        s.catalog = std::string{r.bytes(n)};
        r.skip(1);
        break;
      }
      case 3:
        s.auto_increment_increment = r.u16();
        s.auto_increment_offset = r.u16();
        break;
      case 4:
        s.charset_client = r.u16();
        s.collation_connection = r.u16();
        s.collation_server = r.u16();
        break;
      case 5: s.time_zone = std::string{r.bytes(r.u8())}; break;
      case 6: s.catalog = std::string{r.bytes(r.u8())}; break;
      case 7: s.lc_time_names = r.u16(); break;
      case 8: s.collation_database = r.u16(); break;
      case 9: s.table_map_for_update = r.u64(); break;
      case 10: r.skip(4); break;  // Q_MASTER_DATA_WRITTEN_CODE
      case 11:
        s.invoker_user = std::string{r.bytes(r.u8())};
        s.invoker_host = std::string{r.bytes(r.u8())};
        break;
      case 12: {  // Q_UPDATED_DB_NAMES: count (254 = too many to list), NUL-terminated names
        auto count = r.u8();
        if (count == 254) break;
        for (uint8_t i = 0; i < count && !r.failed(); ++i) {
          std::string name;
          for (char c; (c = static_cast<char>(r.u8())) != '\0' && !r.failed();) name += c;
          s.updated_db_names.push_back(std::move(name));
        }
        break;
      }
      case 13: s.microseconds = r.u24(); break;
      case 14: r.skip(8); break;  // Q_COMMIT_TS (unused)
      case 15: r.skip(8); break;  // Q_COMMIT_TS2 (unused)
      case 16: s.explicit_defaults_for_timestamp = r.u8() != 0; break;
      case 17: s.ddl_xid = r.u64(); break;
      case 18: s.default_collation_for_utf8mb4 = r.u16(); break;
      case 19: s.sql_require_primary_key = r.u8() != 0; break;
      case 20: s.default_table_encryption = r.u8() != 0; break;
      case 128: s.microseconds = r.u24(); break;  // Q_HRNOW (MariaDB): microseconds of the event time
      case 129: s.xid = r.u64(); break;
      case 130: r.skip(1); break;  // Q_GTID_FLAGS3 (MariaDB)
      default: return;
    }
  }
}

// Decodes the common layout of query and execute-load-query events; `extra_post_header` is the
// number of post-header bytes after the 13 of a plain query event.
caf::expected<query_event> decode_query_layout(const event_view& ev,
                                               const format_description& fde,
                                               size_t extra_post_header,
                                               execute_load_query_event* load) {
  byte_reader r{ev.body};
  query_event q;
  q.thread_id = r.u32();
  q.exec_time = r.u32();
  auto db_len = r.u8();
  q.error_code = r.u16();
  size_t status_len = 0;
  size_t post_header = fde.post_header_length(ev.header.type);
  if (post_header == 0) post_header = 13 + extra_post_header;
  if (post_header >= 13) status_len = r.u16();
  if (load) {
    load->file_id = r.u32();
    load->start_pos = r.u32();
    load->end_pos = r.u32();
    load->dup_handling = r.u8();
  }
  size_t consumed = 13 + (load ? 13 : 0);
  if (post_header > consumed) r.skip(post_header - consumed);
  parse_status_vars(byte_reader{r.bytes(status_len)}, q.status);
  q.db = std::string{r.bytes(db_len)};
  r.skip(1);  // NUL after the database name
  if (r.failed()) return truncated(ev.header.type);
  auto text = r.rest();
  if (ev.header.type == event_type::query_compressed) {
    auto plain = uncompress_mariadb(text);
    if (!plain) return plain.error();
    q.query = std::move(*plain);
  } else {
    q.query = std::string{text};
  }
  return q;
}

}  // namespace

caf::expected<std::string> uncompress_mariadb(std::string_view compressed) {
  byte_reader r{compressed};
  auto head = r.u8();
  size_t len_bytes = head & 0x07;
  if ((head & 0xe0) != 0x80 || len_bytes == 0 || len_bytes > 4)
    return make_error(ec::decode_failed, "compressed binlog event has an invalid header");
  auto length = r.be(len_bytes);
  auto data = r.rest();
  // A compressed event never expands beyond max_allowed_packet (1 GiB).
  if (r.failed() || length > (1u << 30))
    return make_error(ec::decode_failed, "compressed binlog event is truncated");
  std::string out(length, '\0');
  uLongf out_len = static_cast<uLongf>(length);
  auto rc = ::uncompress(reinterpret_cast<Bytef*>(out.data()), &out_len,
                         reinterpret_cast<const Bytef*>(data.data()), data.size());
  if (rc != Z_OK || out_len != length)
    return make_error(ec::decode_failed, "compressed binlog event does not inflate to " +
                                             std::to_string(length) + " bytes");
  return out;
}

caf::expected<rotate_event> decode_rotate(const event_view& ev, const format_description& fde) {
  byte_reader r{ev.body};
  rotate_event out;
  auto post_header = fde.post_header_length(event_type::rotate);
  out.position = post_header >= 8 ? r.u64() : 4;
  if (post_header > 8) r.skip(post_header - 8);
  out.next_file = std::string{r.rest()};
  if (r.failed() || out.next_file.empty()) return truncated(ev.header.type);
  return out;
}

caf::expected<query_event> decode_query(const event_view& ev, const format_description& fde) {
  return decode_query_layout(ev, fde, 0, nullptr);
}

caf::expected<xid_event> decode_xid(const event_view& ev) {
  byte_reader r{ev.body};
  xid_event out{r.u64()};
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<mariadb_gtid_event> decode_mariadb_gtid(const event_view& ev) {
  byte_reader r{ev.body};
  mariadb_gtid_event out;
  out.gtid.sequence = r.u64();
  out.gtid.domain_id = r.u32();
  out.gtid.server_id = ev.header.server_id;
  out.flags = r.u8();
  constexpr uint8_t group_commit_id = 0x02, prepared_xa = 0x40, completed_xa = 0x80;
  if (out.flags & group_commit_id) {
    out.commit_id = r.u64();
  } else if (out.flags & (prepared_xa | completed_xa)) {
    auto format_id = r.u32();
    auto gtrid_len = r.u8();
    auto bqual_len = r.u8();
    auto data = r.bytes(static_cast<size_t>(gtrid_len) + bqual_len);
    (void)format_id;
    out.xa_xid = std::string{data};
  }
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<mariadb_gtid_list_event> decode_mariadb_gtid_list(const event_view& ev) {
  byte_reader r{ev.body};
  mariadb_gtid_list_event out;
  auto count_flags = r.u32();
  uint32_t count = count_flags & ((1u << 28) - 1);
  out.flags = static_cast<uint8_t>(count_flags >> 28);
  if (static_cast<uint64_t>(count) * 16 > r.remaining()) return truncated(ev.header.type);
  for (uint32_t i = 0; i < count; ++i) {
    mariadb_gtid g;
    g.domain_id = r.u32();
    g.server_id = r.u32();
    g.sequence = r.u64();
    out.gtids.push_back(g);
  }
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<mysql_gtid_event> decode_mysql_gtid(const event_view& ev) {
  byte_reader r{ev.body};
  mysql_gtid_event out;
  out.anonymous = ev.header.type == event_type::mysql_anonymous_gtid;
  out.flags = r.u8();
  out.uuid = uuid_text(r.bytes(16));
  out.gno = r.u64();
  if (r.failed()) return truncated(ev.header.type);
  // Logical timestamps (MySQL 5.7+): type code 2, then two 8-byte values.
  if (r.remaining() >= 17 && r.u8() == 2) {
    out.last_committed = static_cast<int64_t>(r.u64());
    out.sequence_number = static_cast<int64_t>(r.u64());
  }
  return out;
}

caf::expected<previous_gtids_event> decode_previous_gtids(const event_view& ev) {
  byte_reader r{ev.body};
  previous_gtids_event out;
  auto sids = r.u64();
  if (sids > r.remaining() / 24) return truncated(ev.header.type);
  for (uint64_t i = 0; i < sids && !r.failed(); ++i) {
    auto uuid = uuid_text(r.bytes(16));
    auto intervals = r.u64();
    if (intervals > r.remaining() / 16) return truncated(ev.header.type);
    for (uint64_t j = 0; j < intervals; ++j) {
      auto start = r.u64();
      auto end = r.u64();  // exclusive
      if (start == 0 || end <= start) return truncated(ev.header.type);
      out.gtids.add_mysql_interval(uuid, start, end - 1);
    }
  }
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<binlog_checkpoint_event> decode_binlog_checkpoint(const event_view& ev) {
  byte_reader r{ev.body};
  auto len = r.u32();
  binlog_checkpoint_event out{std::string{r.bytes(len)}};
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<annotate_rows_event> decode_annotate_rows(const event_view& ev) {
  return annotate_rows_event{std::string{ev.body}};
}

caf::expected<intvar_event> decode_intvar(const event_view& ev) {
  byte_reader r{ev.body};
  intvar_event out;
  out.kind = r.u8();
  out.value = r.u64();
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<rand_event> decode_rand(const event_view& ev) {
  byte_reader r{ev.body};
  rand_event out;
  out.seed1 = r.u64();
  out.seed2 = r.u64();
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<user_var_event> decode_user_var(const event_view& ev) {
  byte_reader r{ev.body};
  user_var_event out;
  out.name = std::string{r.bytes(r.u32())};
  out.is_null = r.u8() != 0;
  if (!out.is_null) {
    out.value_type = r.u8();
    out.charset = r.u32();
    out.value = std::string{r.bytes(r.u32())};
    if (r.remaining() > 0) out.flags = r.u8();
  }
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<xa_prepare_event> decode_xa_prepare(const event_view& ev) {
  byte_reader r{ev.body};
  xa_prepare_event out;
  out.one_phase = r.u8() != 0;
  out.format_id = static_cast<int32_t>(r.u32());
  auto gtrid_len = r.u32();
  auto bqual_len = r.u32();
  if (gtrid_len > 64 || bqual_len > 64) return truncated(ev.header.type);
  out.gtrid = std::string{r.bytes(gtrid_len)};
  out.bqual = std::string{r.bytes(bqual_len)};
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<incident_event> decode_incident(const event_view& ev) {
  byte_reader r{ev.body};
  incident_event out;
  out.kind = r.u16();
  out.message = std::string{r.bytes(r.u8())};
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<heartbeat_event> decode_heartbeat(const event_view& ev) {
  return heartbeat_event{std::string{ev.body}};
}

caf::expected<begin_load_query_event> decode_begin_load_query(const event_view& ev,
                                                              const format_description& fde) {
  byte_reader r{ev.body};
  begin_load_query_event out;
  out.file_id = r.u32();
  auto post_header = fde.post_header_length(ev.header.type);
  if (post_header > 4) r.skip(post_header - 4);
  out.block = r.rest();
  if (r.failed()) return truncated(ev.header.type);
  return out;
}

caf::expected<execute_load_query_event> decode_execute_load_query(
    const event_view& ev, const format_description& fde) {
  execute_load_query_event out;
  auto q = decode_query_layout(ev, fde, 13, &out);
  if (!q) return q.error();
  out.query = std::move(*q);
  return out;
}

}  // namespace dm::binlog
