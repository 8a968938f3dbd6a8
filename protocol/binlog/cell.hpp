// One decoded column value of a row image, kept exact: integers as raw bits, decimals and
// temporals as their exact text, strings as raw bytes. Rendering (SQL literals, mariadb-binlog
// style output) happens elsewhere, with the column's signedness and charset at hand.
#pragma once

#include <cstdint>
#include <string>

namespace dm::binlog {

enum class cell_kind : uint8_t {
  // The column is not part of this (partial, binlog_row_image=MINIMAL/NOBLOB) image.
  absent,
  null,
  // `u` holds the value's bits zero-extended; `width` is its size in bytes (1,2,3,4,8).
  integer,
  // `d` holds the value (FLOAT widened exactly to double).
  float32,
  float64,
  // `text` holds the exact decimal text, e.g. "-12.3400".
  decimal,
  // `u` holds the year (0 for the zero year).
  year,
  // DATE, TIME, DATETIME: packed into `u`, `frac`, `width`, `negative` (see temporal.hpp).
  date,
  time,
  datetime,
  // `u` holds seconds since the epoch, `frac` microseconds; `width` is the fsp.
  timestamp,
  // `text` holds the bytes of CHAR/VARCHAR/TEXT/BLOB/BINARY, MariaDB JSON, GEOMETRY (SRID+WKB).
  string,
  // `u` holds the bits; `width` is the number of bytes the value occupied.
  bit,
  // `u` holds the 1-based index of the ENUM member (0 is the empty error value).
  enum_index,
  // `u` holds the SET membership bitmap.
  set_bits,
  // `text` holds MySQL's binary JSON encoding.
  json_binary,
};

struct cell {
  cell_kind kind = cell_kind::null;
  uint8_t width = 0;
  // Sign of a TIME value.
  bool negative = false;
  uint32_t frac = 0;
  uint64_t u = 0;
  double d = 0;
  std::string text;

  bool is_null() const { return kind == cell_kind::null; }
  // The integer read as signed, sign-extended from `width` bytes.
  int64_t as_signed() const {
    if (width == 0 || width >= 8) return static_cast<int64_t>(u);
    auto shift = 64 - 8 * width;
    return static_cast<int64_t>(u << shift) >> shift;
  }
};

}  // namespace dm::binlog
