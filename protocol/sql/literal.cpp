#include "protocol/sql/literal.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "protocol/binlog/json_binary.hpp"
#include "protocol/binlog/temporal.hpp"
#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm::sql {

namespace {

// A float's digits as a floating-point literal ("5" would be an integer).
void append_float_literal(std::string& out, std::string_view digits) {
  out += digits;
  if (digits.find_first_of(".eE") == std::string_view::npos) out += "e0";
}

// Servers store any -0 they are given as 0; a FLOAT holds negative zero only as the underflow
// of a tiny negative value. So -0 for a FLOAT column is written as one that underflows to it.
constexpr const char* float_negative_zero = "-1e-50";

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

}  // namespace

std::string utc_timestamp_text(uint64_t seconds, uint32_t usec, int fsp) {
  char buf[48];
  if (seconds == 0 && usec == 0) {
    std::snprintf(buf, sizeof buf, "0000-00-00 00:00:00");
  } else {
    int64_t days = static_cast<int64_t>(seconds / 86400);
    auto rem = static_cast<unsigned>(seconds % 86400);
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02u:%02u:%02u", static_cast<long long>(y), m,
                  d, rem / 3600, (rem / 60) % 60, rem % 60);
  }
  std::string out = buf;
  if (fsp > 0 && fsp <= 6) {
    static const uint32_t div[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
    std::snprintf(buf, sizeof buf, ".%0*u", fsp, usec / div[fsp]);
    out += buf;
  }
  return out;
}

caf::error append_literal(std::string& out, const binlog::cell& value, const column_def& column) {
  using binlog::cell_kind;
  char buf[64];
  switch (value.kind) {
    case cell_kind::null:
      out += "NULL";
      break;
    case cell_kind::integer: {
      auto end = column.is_unsigned ? std::to_chars(buf, buf + sizeof buf, value.u).ptr
                                    : std::to_chars(buf, buf + sizeof buf, value.as_signed()).ptr;
      out.append(buf, end);
      break;
    }
    case cell_kind::float32: {
      // (A float32 cell comes from a FLOAT column; a structure from the table map has no type.)
      if (value.d == 0 && std::signbit(value.d) &&
          (column.data_type.empty() || column.data_type == "float")) {
        out += float_negative_zero;
        break;
      }
      // Nine significant digits round-trip every float, also through the server's double parse.
      auto end =
          std::to_chars(buf, buf + sizeof buf, static_cast<float>(value.d),
                        std::chars_format::general, 9)
              .ptr;
      append_float_literal(out, std::string_view(buf, static_cast<size_t>(end - buf)));
      break;
    }
    case cell_kind::float64: {
      auto end = std::to_chars(buf, buf + sizeof buf, value.d).ptr;  // shortest round-trip
      append_float_literal(out, std::string_view(buf, static_cast<size_t>(end - buf)));
      break;
    }
    case cell_kind::decimal:
      out += value.text;
      break;
    case cell_kind::year:
    case cell_kind::enum_index:
    case cell_kind::set_bits:
    case cell_kind::bit:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, value.u).ptr);
      break;
    case cell_kind::date:
      out += '\'';
      binlog::append_date(out, value);
      out += '\'';
      break;
    case cell_kind::time:
      out += '\'';
      binlog::append_time(out, value);
      out += '\'';
      break;
    case cell_kind::datetime:
      out += '\'';
      binlog::append_datetime(out, value);
      out += '\'';
      break;
    case cell_kind::timestamp:
      out += '\'';
      out += utc_timestamp_text(value.u, value.frac, value.width);
      out += '\'';
      break;
    case cell_kind::string:
      append_string_literal(out, value.text, column.charset);
      break;
    case cell_kind::json_binary: {
      auto text = binlog::json_binary_to_text(value.text);
      if (!text)
        return make_error(ec::decode_failed,
                          "column `" + column.name + "`: " + describe(text.error()));
      append_string_literal(out, *text, "utf8mb4");
      break;
    }
    case cell_kind::absent:
      return make_error(ec::decode_failed,
                        "column `" + column.name + "` is not in the row image");
  }
  return caf::none;
}

}  // namespace dm::sql
