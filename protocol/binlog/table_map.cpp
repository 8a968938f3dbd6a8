#include "protocol/binlog/table_map.hpp"

#include "protocol/binlog/byte_reader.hpp"
#include "common/error.hpp"

namespace dm::binlog {

namespace {

caf::error corrupt(const std::string& what) {
  return make_error(ec::decode_failed, "binlog event cannot be decoded: Table_map " + what);
}

// Reads a column's metadata bytes and resolves CHAR/ENUM/SET.
void read_column_meta(byte_reader& r, column_meta& c) {
  c.real_type = c.type;
  switch (c.type) {
    case column_type::float_:
    case column_type::double_:
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::blob_compressed:
    case column_type::geometry:
    case column_type::json:
    case column_type::timestamp2:
    case column_type::datetime2:
    case column_type::time2:
      c.meta = r.u8();
      break;
    case column_type::varchar:
    case column_type::var_string:
    case column_type::varchar_compressed:
      c.meta = r.u16();
      break;
    case column_type::bit: {
      uint16_t bits = r.u8();
      uint16_t bytes = r.u8();
      c.meta = static_cast<uint16_t>(bits | (bytes << 8));
      break;
    }
    case column_type::newdecimal: {
      uint16_t precision = r.u8();
      uint16_t scale = r.u8();
      c.meta = static_cast<uint16_t>((precision << 8) | scale);
      break;
    }
    case column_type::string:
    case column_type::enum_:
    case column_type::set: {
      uint16_t byte0 = r.u8();
      uint16_t byte1 = r.u8();
      c.meta = static_cast<uint16_t>((byte0 << 8) | byte1);
      if ((byte0 & 0x30) != 0x30) {
        // CHAR longer than 255 bytes: two length bits are folded into the type byte.
        c.max_length = byte1 | (((byte0 & 0x30) ^ 0x30) << 4);
        c.real_type = static_cast<column_type>(byte0 | 0x30);
      } else {
        c.max_length = byte1;
        c.real_type = static_cast<column_type>(byte0);
      }
      break;
    }
    default:
      c.meta = 0;
  }
}

bool is_enum_or_set(const column_meta& c) {
  return c.real_type == column_type::enum_ || c.real_type == column_type::set;
}

bool is_charset_column(const column_meta& c) {
  return is_character_type(c.type) && !is_enum_or_set(c) && c.real_type != column_type::geometry;
}

// Visits the indexes of the columns selected by `pred`, in order.
template <class Pred>
std::vector<size_t> select_columns(const std::vector<column_meta>& cols, Pred pred) {
  std::vector<size_t> out;
  for (size_t i = 0; i < cols.size(); ++i)
    if (pred(cols[i])) out.push_back(i);
  return out;
}

// DEFAULT_CHARSET layout: default collation, then (index among `targets`, collation) pairs for
// the columns that differ from it.
void apply_default_charset(byte_reader r, std::vector<column_meta>& cols,
                           const std::vector<size_t>& targets) {
  auto def = static_cast<uint32_t>(r.packed());
  for (auto i : targets) cols[i].collation = def;
  while (r.remaining() > 0 && !r.failed()) {
    auto index = r.packed();
    auto collation = static_cast<uint32_t>(r.packed());
    if (index < targets.size()) cols[targets[index]].collation = collation;
  }
}

void apply_column_charsets(byte_reader r, std::vector<column_meta>& cols,
                           const std::vector<size_t>& targets) {
  for (auto i : targets) {
    if (r.remaining() == 0) break;
    cols[i].collation = static_cast<uint32_t>(r.packed());
  }
}

std::vector<std::string> read_string_list(byte_reader& r) {
  std::vector<std::string> out;
  auto count = r.packed();
  for (uint64_t i = 0; i < count && !r.failed(); ++i) out.emplace_back(r.bytes(r.packed()));
  return out;
}

void parse_optional_metadata(byte_reader r, table_map_event& t, bool mariadb) {
  auto& cols = t.columns;
  while (r.remaining() > 0 && !r.failed()) {
    auto type = r.u8();
    auto length = r.packed();
    byte_reader field{r.bytes(length)};
    if (r.failed()) return;
    switch (type) {
      case 1: {  // SIGNEDNESS: one bit per numeric column, most significant bit first
        auto numeric = select_columns(cols, [mariadb](auto& c) { return is_numeric_type(c.type, mariadb); });
        for (size_t n = 0; n < numeric.size(); ++n) {
          auto byte = field.data() && n / 8 < length ? field.data()[n / 8] : 0;
          cols[numeric[n]].is_unsigned = (byte & (0x80 >> (n % 8))) != 0;
        }
        t.has_signedness = true;
        break;
      }
      case 2:
        apply_default_charset(field, cols, select_columns(cols, is_charset_column));
        t.has_charsets = true;
        break;
      case 3:
        apply_column_charsets(field, cols, select_columns(cols, is_charset_column));
        t.has_charsets = true;
        break;
      case 4:  // COLUMN_NAME
        for (auto& c : cols) {
          if (field.remaining() == 0) break;
          c.name = std::string{field.bytes(field.packed())};
        }
        t.has_column_names = true;
        break;
      case 5:  // SET_STR_VALUE
        for (auto i : select_columns(cols, [](auto& c) { return c.real_type == column_type::set; }))
          cols[i].set_values = read_string_list(field);
        break;
      case 6:  // ENUM_STR_VALUE
        for (auto i :
             select_columns(cols, [](auto& c) { return c.real_type == column_type::enum_; }))
          cols[i].enum_values = read_string_list(field);
        break;
      case 7:  // GEOMETRY_TYPE
        for (auto i :
             select_columns(cols, [](auto& c) { return c.real_type == column_type::geometry; }))
          cols[i].geometry_type = static_cast<uint32_t>(field.packed());
        break;
      case 8:  // SIMPLE_PRIMARY_KEY
        while (field.remaining() > 0 && !field.failed())
          t.primary_key.emplace_back(static_cast<uint32_t>(field.packed()), 0);
        t.has_primary_key = true;
        break;
      case 9:  // PRIMARY_KEY_WITH_PREFIX
        while (field.remaining() > 0 && !field.failed()) {
          auto index = static_cast<uint32_t>(field.packed());
          auto prefix = static_cast<uint32_t>(field.packed());
          t.primary_key.emplace_back(index, prefix);
        }
        t.has_primary_key = true;
        break;
      case 10:
        apply_default_charset(field, cols, select_columns(cols, is_enum_or_set));
        break;
      case 11:
        apply_column_charsets(field, cols, select_columns(cols, is_enum_or_set));
        break;
      case 12:  // COLUMN_VISIBILITY: one bit per column, most significant bit first
        for (size_t n = 0; n < cols.size() && n / 8 < length; ++n)
          cols[n].visible = (field.data()[n / 8] & (0x80 >> (n % 8))) != 0;
        break;
      default:
        break;  // unknown fields are skipped by their length
    }
  }
}

}  // namespace

caf::expected<table_map_event> decode_table_map(const event_view& ev,
                                                const format_description& fde) {
  byte_reader r{ev.body};
  table_map_event t;
  auto post_header = fde.post_header_length(event_type::table_map);
  if (post_header == 6) {
    t.table_id = r.u32();
  } else {
    t.table_id = r.u48();
  }
  t.flags = r.u16();
  t.db = std::string{r.bytes(r.u8())};
  r.skip(1);
  t.table = std::string{r.bytes(r.u8())};
  r.skip(1);
  auto count = r.packed();
  if (r.failed() || count > r.remaining()) return corrupt("header is truncated");
  t.columns.resize(count);
  auto types = r.bytes(count);
  for (size_t i = 0; i < count; ++i)
    t.columns[i].type = static_cast<column_type>(static_cast<uint8_t>(types[i]));
  auto meta_length = r.packed();
  byte_reader meta{r.bytes(meta_length)};
  for (auto& c : t.columns) read_column_meta(meta, c);
  if (r.failed() || meta.failed()) return corrupt("column metadata is truncated");
  auto nulls = r.bytes((count + 7) / 8);
  if (r.failed()) return corrupt("null bitmap is truncated");
  for (size_t i = 0; i < count; ++i)
    t.columns[i].nullable = (static_cast<uint8_t>(nulls[i / 8]) >> (i % 8)) & 1;
  parse_optional_metadata(byte_reader{r.rest()}, t, fde.is_mariadb());
  for (auto& [index, prefix] : t.primary_key)
    if (index >= count) return corrupt("primary key names column " + std::to_string(index));
  return t;
}

}  // namespace dm::binlog
