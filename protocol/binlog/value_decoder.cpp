// Decoding of single column values from row images, one function per storage format.
// Formats follow the server's Field::pack() implementations (sql/field.cc, sql/log_event.cc).
#include <charconv>
#include <cstdio>
#include <cstring>

#include "protocol/binlog/byte_reader.hpp"
#include "protocol/binlog/rows_event.hpp"

namespace dm::binlog {

namespace {

constexpr int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

// Appends `value` in decimal, left-padded with zeros to at least `digits` digits.
void append_padded(std::string& out, uint64_t value, int digits) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  for (auto n = end - buf; n < digits; ++n) out += '0';
  out.append(buf, end);
}

// ".ffffff" cut to `fsp` digits, or nothing when fsp is 0.
void append_fraction(std::string& out, uint32_t usec, int fsp) {
  if (fsp <= 0) return;
  static const uint32_t div[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  out += '.';
  append_padded(out, usec / div[fsp], fsp);
}

// Microseconds of a fractional part stored in (fsp + 1) / 2 big-endian bytes.
uint32_t read_fraction(byte_reader& r, int fsp) {
  switch (fsp) {
    case 1:
    case 2: return static_cast<uint32_t>(r.be(1)) * 10000;
    case 3:
    case 4: return static_cast<uint32_t>(r.be(2)) * 100;
    case 5:
    case 6: return static_cast<uint32_t>(r.be(3));
    default: return 0;
  }
}

bool decode_newdecimal(byte_reader& r, uint16_t meta, cell& out) {
  int precision = meta >> 8;
  int scale = meta & 0xff;
  if (precision < 1 || precision > 65 || scale > 30 || scale > precision) return false;
  int intg = precision - scale;
  int intg0 = intg / 9, intg0x = intg % 9, frac0 = scale / 9, frac0x = scale % 9;
  size_t size = intg0 * 4 + dig2bytes[intg0x] + frac0 * 4 + dig2bytes[frac0x];
  auto raw = r.bytes(size);
  if (r.failed()) return false;
  uint8_t buf[40];
  std::memcpy(buf, raw.data(), size);
  bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative)
    for (size_t i = 0; i < size; ++i) buf[i] ^= 0xff;
  byte_reader d{buf, size};
  std::string digits;
  if (intg0x) append_padded(digits, d.be(dig2bytes[intg0x]), 0);
  for (int i = 0; i < intg0; ++i) append_padded(digits, d.be(4), 9);
  auto first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  out.text.clear();
  if (negative) out.text += '-';
  out.text += digits;
  if (scale > 0) {
    out.text += '.';
    for (int i = 0; i < frac0; ++i) append_padded(out.text, d.be(4), 9);
    if (frac0x) append_padded(out.text, d.be(dig2bytes[frac0x]), frac0x);
  }
  out.kind = cell_kind::decimal;
  return true;
}

void format_date(std::string& out, unsigned year, unsigned month, unsigned day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", year % 10000, month % 100, day % 100);
  out += buf;
}

void format_hms(std::string& out, unsigned hour, unsigned minute, unsigned second, int width) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*u:%02u:%02u", width, hour, minute % 100, second % 100);
  out += buf;
}

bool decode_time2(byte_reader& r, int fsp, cell& out) {
  // Packed: 1 sign bit, 1 unused, 10 bits hour, 6 minute, 6 second; then the fraction; the
  // whole value offset so that it sorts as unsigned (see my_time_packed_from_binary).
  int64_t packed;
  int64_t intpart = static_cast<int64_t>(r.be(3)) - 0x800000;
  switch (fsp) {
    case 1:
    case 2: {
      int64_t frac = static_cast<int64_t>(r.be(1));
      if (intpart < 0 && frac) {
        intpart++;
        frac -= 0x100;
      }
      packed = (intpart << 24) + frac * 10000;
      break;
    }
    case 3:
    case 4: {
      int64_t frac = static_cast<int64_t>(r.be(2));
      if (intpart < 0 && frac) {
        intpart++;
        frac -= 0x10000;
      }
      packed = (intpart << 24) + frac * 100;
      break;
    }
    case 5:
    case 6: {
      int64_t low = static_cast<int64_t>(r.be(3));
      packed = ((intpart + 0x800000) << 24 | low) - (static_cast<int64_t>(0x800000) << 24);
      break;
    }
    default: packed = intpart << 24;
  }
  if (r.failed()) return false;
  bool negative = packed < 0;
  uint64_t magnitude = negative ? static_cast<uint64_t>(-packed) : static_cast<uint64_t>(packed);
  auto usec = static_cast<uint32_t>(magnitude % (1 << 24));
  auto hms = magnitude >> 24;
  unsigned hour = static_cast<unsigned>((hms >> 12) % (1 << 10));
  unsigned minute = static_cast<unsigned>((hms >> 6) % (1 << 6));
  unsigned second = static_cast<unsigned>(hms % (1 << 6));
  out.kind = cell_kind::time;
  out.width = static_cast<uint8_t>(fsp);
  out.text.clear();
  if (negative) out.text += '-';
  format_hms(out.text, hour, minute, second, 2);
  append_fraction(out.text, usec, fsp);
  return true;
}

bool decode_datetime2(byte_reader& r, int fsp, cell& out) {
  // 40 bits: sign, 17 bits year*13+month, 5 day, 5 hour, 6 minute, 6 second; then fraction.
  int64_t intpart = static_cast<int64_t>(r.be(5)) - 0x8000000000LL;
  uint32_t usec = read_fraction(r, fsp);
  if (r.failed()) return false;
  uint64_t v = intpart < 0 ? static_cast<uint64_t>(-intpart) : static_cast<uint64_t>(intpart);
  uint64_t ymd = v >> 17, hms = v % (1 << 17);
  unsigned day = ymd % (1 << 5);
  uint64_t ym = ymd >> 5;
  unsigned month = static_cast<unsigned>(ym % 13), year = static_cast<unsigned>(ym / 13);
  out.kind = cell_kind::datetime;
  out.width = static_cast<uint8_t>(fsp);
  out.text.clear();
  format_date(out.text, year, month, day);
  out.text += ' ';
  format_hms(out.text, static_cast<unsigned>(hms >> 12), (hms >> 6) % (1 << 6), hms % (1 << 6),
             2);
  append_fraction(out.text, usec, fsp);
  return true;
}

bool decode_string_bytes(byte_reader& r, size_t length_bytes, cell& out) {
  auto length = r.le(length_bytes);
  auto bytes = r.bytes(length);
  if (r.failed()) return false;
  out.kind = cell_kind::string;
  out.text.assign(bytes.data(), bytes.size());
  return true;
}

}  // namespace

bool decode_value(byte_reader& r, const column_meta& col, cell& out) {
  out.width = 0;
  out.frac = 0;
  switch (col.real_type) {
    case column_type::tiny:
    case column_type::short_:
    case column_type::int24:
    case column_type::long_:
    case column_type::longlong: {
      static const uint8_t widths[] = {0, 1, 2, 4, 0, 0, 0, 0, 8, 3};
      out.width = widths[static_cast<uint8_t>(col.real_type)];
      out.u = r.le(out.width);
      out.kind = cell_kind::integer;
      break;
    }
    case column_type::float_: {
      auto bits = static_cast<uint32_t>(r.le(4));
      float f;
      std::memcpy(&f, &bits, 4);
      out.d = f;
      out.kind = cell_kind::float32;
      break;
    }
    case column_type::double_: {
      auto bits = r.le(8);
      std::memcpy(&out.d, &bits, 8);
      out.kind = cell_kind::float64;
      break;
    }
    case column_type::newdecimal:
      return decode_newdecimal(r, col.meta, out);
    case column_type::year: {
      auto y = r.u8();
      out.u = y == 0 ? 0 : 1900u + y;
      out.kind = cell_kind::year;
      break;
    }
    case column_type::date:
    case column_type::newdate: {
      auto v = r.u24();
      out.kind = cell_kind::date;
      out.text.clear();
      format_date(out.text, v >> 9, (v >> 5) & 15, v & 31);
      break;
    }
    case column_type::time: {
      auto raw = static_cast<int32_t>(r.u24() << 8) >> 8;  // sign-extend 24 bits
      uint32_t v = raw < 0 ? static_cast<uint32_t>(-raw) : static_cast<uint32_t>(raw);
      out.kind = cell_kind::time;
      out.text.clear();
      if (raw < 0) out.text += '-';
      format_hms(out.text, v / 10000, (v / 100) % 100, v % 100, 2);
      break;
    }
    case column_type::time2:
      return decode_time2(r, col.meta, out);
    case column_type::datetime: {
      auto v = r.u64();
      auto d = v / 1000000, t = v % 1000000;
      out.kind = cell_kind::datetime;
      out.text.clear();
      format_date(out.text, static_cast<unsigned>(d / 10000), (d / 100) % 100, d % 100);
      out.text += ' ';
      format_hms(out.text, static_cast<unsigned>(t / 10000), (t / 100) % 100, t % 100, 2);
      break;
    }
    case column_type::datetime2:
      return decode_datetime2(r, col.meta, out);
    case column_type::timestamp:
      out.u = r.u32();
      out.kind = cell_kind::timestamp;
      break;
    case column_type::timestamp2:
      out.u = r.be(4);
      out.frac = read_fraction(r, col.meta);
      out.width = static_cast<uint8_t>(col.meta);
      out.kind = cell_kind::timestamp;
      break;
    case column_type::varchar:
    case column_type::var_string:
      return decode_string_bytes(r, col.meta > 255 ? 2 : 1, out);
    case column_type::string:
      return decode_string_bytes(r, col.max_length > 255 ? 2 : 1, out);
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::geometry:
      if (col.meta < 1 || col.meta > 4) return false;
      return decode_string_bytes(r, col.meta, out);
    case column_type::json:
      if (col.meta < 1 || col.meta > 4) return false;
      if (!decode_string_bytes(r, col.meta, out)) return false;
      out.kind = cell_kind::json_binary;
      break;
    case column_type::enum_:
      if (col.max_length != 1 && col.max_length != 2) return false;
      out.u = r.le(col.max_length);
      out.kind = cell_kind::enum_index;
      break;
    case column_type::set:
      if (col.max_length < 1 || col.max_length > 8) return false;
      out.u = r.le(col.max_length);
      out.width = static_cast<uint8_t>(col.max_length);
      out.kind = cell_kind::set_bits;
      break;
    case column_type::bit: {
      unsigned bits = col.meta & 0xff, bytes = col.meta >> 8;
      unsigned total = bytes + (bits ? 1 : 0);
      if (total < 1 || total > 8) return false;
      out.u = r.be(total);
      out.width = static_cast<uint8_t>(total);
      out.kind = cell_kind::bit;
      break;
    }
    case column_type::null:
      out.kind = cell_kind::null;
      break;
    default:
      // DECIMAL (pre-5.0), TYPED_ARRAY and MariaDB compressed columns have no row format here.
      return false;
  }
  return !r.failed();
}

}  // namespace dm::binlog
