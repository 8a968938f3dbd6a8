// Temporal cell values without a heap string: how DATE, TIME and DATETIME values are packed
// into a cell, and their text. Pure and allocation-free apart from appending to `out`.
//
//   date:     u = YYYYMMDD
//   datetime: u = YYYYMMDDhhmmss, frac = microseconds, width = fractional digits
//   time:     u = seconds (hours may exceed 24), frac = microseconds, width = fractional
//             digits, negative = sign
#pragma once

#include <cstdint>
#include <string>

#include "protocol/binlog/cell.hpp"

namespace dm::binlog {

inline uint64_t pack_date(unsigned year, unsigned month, unsigned day) {
  return year * 10000ull + month * 100ull + day;
}

inline uint64_t pack_datetime(unsigned year, unsigned month, unsigned day, unsigned hour,
                              unsigned minute, unsigned second) {
  return pack_date(year, month, day) * 1000000ull + hour * 10000ull + minute * 100ull + second;
}

// Appends `value` in decimal, zero-padded to at least `width` digits.
void append_padded(std::string& out, uint64_t value, int width);

// Appends ".ffffff" cut to `fsp` digits (nothing when fsp is 0).
void append_fraction(std::string& out, uint32_t usec, int fsp);

// "YYYY-MM-DD" (`separator` between the parts) of a date cell.
void append_date(std::string& out, const cell& value, char separator = '-');
// "YYYY-MM-DD HH:MM:SS[.ffffff]" of a datetime cell.
void append_datetime(std::string& out, const cell& value);
// "[-]HH:MM:SS[.ffffff]" of a time cell (hours at least two digits).
void append_time(std::string& out, const cell& value);

}  // namespace dm::binlog
