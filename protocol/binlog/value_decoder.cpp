// Decoding of single column values from row images, one function per storage format.
// Formats follow the server's Field::pack() implementations (sql/field.cc, sql/log_event.cc).
#include <charconv>
#include <cstdio>
#include <cstring>

#include "protocol/binlog/byte_reader.hpp"
#include "protocol/binlog/decimal.hpp"
#include "protocol/binlog/temporal.hpp"
#include "protocol/binlog/rows_event.hpp"

namespace dm::binlog {

namespace {

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
  if (!read_decimal(r, meta >> 8, meta & 0xff, out.text)) return false;
  out.kind = cell_kind::decimal;
  return true;
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
      packed = intpart * (int64_t{1} << 24) + frac * 10000;
      break;
    }
    case 3:
    case 4: {
      int64_t frac = static_cast<int64_t>(r.be(2));
      if (intpart < 0 && frac) {
        intpart++;
        frac -= 0x10000;
      }
      packed = intpart * (int64_t{1} << 24) + frac * 100;
      break;
    }
    case 5:
    case 6: {
      int64_t low = static_cast<int64_t>(r.be(3));
      packed = ((intpart + 0x800000) * (int64_t{1} << 24) + low) - (int64_t{0x800000} << 24);
      break;
    }
    default: packed = intpart * (int64_t{1} << 24);
  }
  if (r.failed()) return false;
  bool negative = packed < 0;
  uint64_t magnitude = negative ? static_cast<uint64_t>(-packed) : static_cast<uint64_t>(packed);
  auto hms = magnitude >> 24;
  uint64_t hour = (hms >> 12) % (1 << 10), minute = (hms >> 6) % (1 << 6), second = hms % (1 << 6);
  out.kind = cell_kind::time;
  out.width = static_cast<uint8_t>(fsp);
  out.frac = static_cast<uint32_t>(magnitude % (1 << 24));
  out.u = hour * 3600 + minute * 60 + second;
  out.negative = negative;
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
  out.frac = usec;
  out.u = pack_datetime(year % 10000, month, day, static_cast<unsigned>(hms >> 12),
                        (hms >> 6) % (1 << 6), hms % (1 << 6));
  return true;
}

// MariaDB 5.3 hires layouts (sql/field.cc Field_*_hires): a big-endian integer whose width
// depends on the fractional digits `fsp`.
constexpr uint64_t pow10[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};

bool decode_hires_time(byte_reader& r, int fsp, cell& out) {
  static const size_t bytes[7] = {3, 4, 4, 5, 5, 5, 6};
  // The value is offset by the largest TIME (838:59:59.999999) so that it sorts unsigned.
  const int64_t zero_point = static_cast<int64_t>((3020399ull + 1) * 1000000 / pow10[6 - fsp]);
  auto raw = static_cast<int64_t>(r.be(bytes[fsp]));
  if (r.failed()) return false;
  int64_t usec_total = (raw - zero_point) * static_cast<int64_t>(pow10[6 - fsp]);
  bool negative = usec_total < 0;
  uint64_t v = negative ? static_cast<uint64_t>(-usec_total) : static_cast<uint64_t>(usec_total);
  out.kind = cell_kind::time;
  out.width = static_cast<uint8_t>(fsp);
  out.frac = static_cast<uint32_t>(v % 1000000);
  out.u = v / 1000000;
  out.negative = negative;
  return true;
}

bool decode_hires_datetime(byte_reader& r, int fsp, cell& out) {
  static const size_t bytes[7] = {5, 6, 6, 7, 7, 7, 8};
  uint64_t v = r.be(bytes[fsp]);
  if (r.failed()) return false;
  v *= pow10[6 - fsp];
  // ((((year * 13 + month) * 32 + day) * 24 + hour) * 60 + minute) * 60 + second, in usec
  auto usec = static_cast<uint32_t>(v % 1000000);
  v /= 1000000;
  unsigned second = v % 60, minute = (v / 60) % 60, hour = (v / 3600) % 24;
  v /= 86400;
  unsigned day = v % 32, month = (v / 32) % 13, year = static_cast<unsigned>(v / 32 / 13);
  out.kind = cell_kind::datetime;
  out.width = static_cast<uint8_t>(fsp);
  out.frac = usec;
  out.u = pack_datetime(year % 10000, month, day, hour, minute, second);
  return true;
}

bool decode_hires_timestamp(byte_reader& r, int fsp, cell& out) {
  static const size_t bytes[7] = {0, 1, 1, 2, 2, 3, 3};
  out.u = r.be(4);
  out.frac = static_cast<uint32_t>(r.be(bytes[fsp]) * pow10[6 - fsp]);
  out.width = static_cast<uint8_t>(fsp);
  out.kind = cell_kind::timestamp;
  return !r.failed();
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
  out.negative = false;
  if (col.legacy_fsp > 6) return false;
  if (col.legacy_fsp > 0) {
    switch (col.real_type) {
      case column_type::time: return decode_hires_time(r, col.legacy_fsp, out);
      case column_type::datetime: return decode_hires_datetime(r, col.legacy_fsp, out);
      case column_type::timestamp: return decode_hires_timestamp(r, col.legacy_fsp, out);
      default: break;
    }
  }
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
      out.u = pack_date(v >> 9, (v >> 5) & 15, v & 31);
      break;
    }
    case column_type::time: {
      // HHMMSS as a signed 24-bit integer.
      auto bits = r.u24();
      int32_t raw = (bits & 0x800000) ? static_cast<int32_t>(bits) - 0x1000000
                                      : static_cast<int32_t>(bits);
      uint32_t v = raw < 0 ? static_cast<uint32_t>(-raw) : static_cast<uint32_t>(raw);
      out.kind = cell_kind::time;
      out.u = v / 10000 * 3600ull + (v / 100) % 100 * 60 + v % 100;
      out.negative = raw < 0;
      break;
    }
    case column_type::time2:
      if (col.meta > 6) return false;  // fractional digits are 0..6
      return decode_time2(r, col.meta, out);
    case column_type::datetime: {
      // YYYYMMDDhhmmss as an integer: already the packed form.
      out.u = r.u64() % 100000000000000ull;
      out.kind = cell_kind::datetime;
      break;
    }
    case column_type::datetime2:
      if (col.meta > 6) return false;
      return decode_datetime2(r, col.meta, out);
    case column_type::timestamp:
      out.u = r.u32();
      out.kind = cell_kind::timestamp;
      break;
    case column_type::timestamp2:
      if (col.meta > 6) return false;
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
