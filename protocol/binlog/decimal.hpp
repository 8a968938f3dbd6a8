// MySQL's binary DECIMAL format (NEWDECIMAL row values, decimals inside binary JSON).
#pragma once

#include <string>

#include "protocol/binlog/byte_reader.hpp"

namespace dm::binlog {

// Reads a DECIMAL(precision, scale) value from `r` and sets `out` to its exact text, e.g.
// "-12.3400". False on truncated input or an impossible precision/scale.
bool read_decimal(byte_reader& r, int precision, int scale, std::string& out);

}  // namespace dm::binlog
