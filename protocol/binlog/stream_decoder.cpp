#include "protocol/binlog/stream_decoder.hpp"

#include "common/error.hpp"

namespace dm::binlog {

namespace {

template <class T>
caf::expected<decoded_event> wrap(event_view view, caf::expected<T>&& body) {
  if (!body) return body.error();
  decoded_event out;
  out.view = view;
  out.body = std::move(*body);
  return out;
}

constexpr uint16_t stmt_end_flag = 0x01;

}  // namespace

stream_decoder::stream_decoder(checksum_alg initial, bool verify_checksums)
    : fde_(default_format_description(initial)), verify_(verify_checksums) {}

caf::expected<decoded_event> stream_decoder::decode(std::string_view raw) {
  if (clear_pending_) {
    tables_.clear();
    clear_pending_ = false;
  }
  auto view = split_event(raw, fde_, verify_);
  if (!view) return view.error();
  const auto& v = *view;
  switch (v.header.type) {
    case event_type::format_description: {
      auto fde = parse_format_description(v.raw);
      if (!fde) return fde.error();
      fde_ = *fde;
      tables_.clear();
      return wrap(v, std::move(fde));
    }
    case event_type::rotate: return wrap(v, decode_rotate(v, fde_));
    case event_type::query:
    case event_type::query_compressed: return wrap(v, decode_query(v, fde_));
    case event_type::xid: return wrap(v, decode_xid(v));
    case event_type::mariadb_gtid: return wrap(v, decode_mariadb_gtid(v));
    case event_type::mariadb_gtid_list: return wrap(v, decode_mariadb_gtid_list(v));
    case event_type::mysql_gtid:
    case event_type::mysql_anonymous_gtid: return wrap(v, decode_mysql_gtid(v));
    case event_type::previous_gtids: return wrap(v, decode_previous_gtids(v));
    case event_type::binlog_checkpoint: return wrap(v, decode_binlog_checkpoint(v));
    case event_type::annotate_rows: return wrap(v, decode_annotate_rows(v));
    case event_type::intvar: return wrap(v, decode_intvar(v));
    case event_type::rand: return wrap(v, decode_rand(v));
    case event_type::user_var: return wrap(v, decode_user_var(v));
    case event_type::xa_prepare: return wrap(v, decode_xa_prepare(v));
    case event_type::incident: return wrap(v, decode_incident(v));
    case event_type::heartbeat: return wrap(v, decode_heartbeat(v));
    case event_type::begin_load_query: return wrap(v, decode_begin_load_query(v, fde_));
    case event_type::execute_load_query: return wrap(v, decode_execute_load_query(v, fde_));
    case event_type::table_map: {
      auto t = decode_table_map(v, fde_);
      if (!t) return t.error();
      auto id = t->table_id;
      tables_[id] = *t;
      return wrap(v, std::move(t));
    }
    default:
      break;
  }
  if (is_rows_event(v.header.type)) {
    auto rows = decode_rows_header(v, fde_);
    if (!rows) return rows.error();
    auto it = tables_.find(rows->table_id);
    if (it == tables_.end())
      return make_error(ec::decode_failed, "binlog event cannot be decoded: rows event ending at " +
                                               std::to_string(v.header.log_pos) +
                                               " refers to table id " +
                                               std::to_string(rows->table_id) +
                                               " without a table map before it");
    if (rows->flags & stmt_end_flag) clear_pending_ = true;
    auto out = wrap(v, std::move(rows));
    out->table = &it->second;
    return out;
  }
  decoded_event out;
  out.view = v;
  out.body = other_event{};
  return out;
}

}  // namespace dm::binlog
