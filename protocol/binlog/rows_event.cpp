#include "protocol/binlog/rows_event.hpp"

#include <algorithm>

#include "protocol/binlog/byte_reader.hpp"
#include "protocol/binlog/events.hpp"
#include "common/error.hpp"

namespace dm::binlog {

namespace {

caf::error corrupt(const std::string& what) {
  return make_error(ec::decode_failed, "binlog event cannot be decoded: rows event " + what);
}

std::vector<bool> read_bitmap(byte_reader& r, uint32_t bits) {
  std::vector<bool> out(bits);
  auto bytes = r.bytes((bits + 7) / 8);
  if (r.failed()) return out;
  for (uint32_t i = 0; i < bits; ++i) out[i] = (static_cast<uint8_t>(bytes[i / 8]) >> (i % 8)) & 1;
  return out;
}

// Decodes one row image: a null bitmap over the present columns, then their non-null values.
bool decode_image(byte_reader& r, const std::vector<bool>& present, const table_map_event& table,
                  std::vector<cell>& image) {
  size_t count = table.columns.size();
  image.assign(count, cell{});
  size_t present_count = 0;
  for (size_t i = 0; i < count; ++i) present_count += present[i];
  auto nulls = r.bytes((present_count + 7) / 8);
  if (r.failed()) return false;
  size_t n = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!present[i]) {
      image[i].kind = cell_kind::absent;
      continue;
    }
    bool is_null = (static_cast<uint8_t>(nulls[n / 8]) >> (n % 8)) & 1;
    ++n;
    if (is_null) {
      image[i].kind = cell_kind::null;
      continue;
    }
    if (!decode_value(r, table.columns[i], image[i])) return false;
  }
  return true;
}

rows_kind kind_of(event_type t) {
  switch (t) {
    case event_type::write_rows_v1:
    case event_type::write_rows_v2:
    case event_type::write_rows_compressed_v1:
    case event_type::write_rows_compressed:
      return rows_kind::write;
    case event_type::delete_rows_v1:
    case event_type::delete_rows_v2:
    case event_type::delete_rows_compressed_v1:
    case event_type::delete_rows_compressed:
      return rows_kind::delete_;
    default:
      return rows_kind::update;
  }
}

bool has_extra_data(event_type t) {
  switch (t) {
    case event_type::write_rows_v2:
    case event_type::update_rows_v2:
    case event_type::delete_rows_v2:
    case event_type::partial_update_rows:
    case event_type::write_rows_compressed:
    case event_type::update_rows_compressed:
    case event_type::delete_rows_compressed:
      return true;
    default:
      return false;
  }
}

bool is_compressed(event_type t) {
  auto code = static_cast<uint8_t>(t);
  return code >= static_cast<uint8_t>(event_type::write_rows_compressed_v1) &&
         code <= static_cast<uint8_t>(event_type::delete_rows_compressed);
}

}  // namespace

caf::expected<rows_event> decode_rows_header(const event_view& ev, const format_description& fde) {
  auto type = ev.header.type;
  if (!is_rows_event(type)) return corrupt("has a non-rows type");
  if (type == event_type::partial_update_rows)
    return make_error(ec::unsupported,
                      "MySQL partial JSON updates (binlog_row_value_options=PARTIAL_JSON) are not "
                      "supported; set binlog_row_value_options='' on the upstream");
  byte_reader r{ev.body};
  rows_event out;
  out.kind = kind_of(type);
  auto post_header = fde.post_header_length(type);
  out.table_id = post_header == 6 ? r.u32() : r.u48();
  out.flags = r.u16();
  if (has_extra_data(type)) {
    auto extra_len = r.u16();
    if (extra_len < 2) return corrupt("has an invalid extra data length");
    out.extra_data = std::string{r.bytes(extra_len - 2u)};
  }
  auto count = r.packed();
  if (r.failed() || count > 4096) return corrupt("header is truncated");
  out.column_count = static_cast<uint32_t>(count);
  out.present = read_bitmap(r, out.column_count);
  if (out.kind == rows_kind::update) out.present_after = read_bitmap(r, out.column_count);
  if (r.failed()) return corrupt("column bitmaps are truncated");
  if (is_compressed(type)) {
    auto plain = uncompress_mariadb(r.rest());
    if (!plain) return plain.error();
    out.inflated = std::move(*plain);
  } else {
    out.raw_images = r.rest();
  }
  return out;
}

caf::expected<std::vector<row_change>> decode_rows(const rows_event& ev,
                                                   const table_map_event& table) {
  if (ev.column_count != table.columns.size())
    return corrupt("for " + table.db + "." + table.table + " has " +
                   std::to_string(ev.column_count) + " columns, its table map " +
                   std::to_string(table.columns.size()));
  auto any = [](const std::vector<bool>& bits) {
    return std::find(bits.begin(), bits.end(), true) != bits.end();
  };
  // An image without columns takes no bytes: the rows could never end.
  if (!any(ev.present) || (ev.kind == rows_kind::update && !any(ev.present_after)))
    return corrupt("for " + table.db + "." + table.table + " names no column of its table");
  std::vector<row_change> rows;
  byte_reader r{ev.images()};
  while (r.remaining() > 0) {
    row_change change;
    bool ok;
    switch (ev.kind) {
      case rows_kind::write:
        ok = decode_image(r, ev.present, table, change.after);
        break;
      case rows_kind::delete_:
        ok = decode_image(r, ev.present, table, change.before);
        break;
      default:
        ok = decode_image(r, ev.present, table, change.before) &&
             decode_image(r, ev.present_after, table, change.after);
    }
    if (!ok)
      return corrupt("for " + table.db + "." + table.table + " has a row image that does not "
                     "match its table map");
    rows.push_back(std::move(change));
  }
  return rows;
}

}  // namespace dm::binlog
