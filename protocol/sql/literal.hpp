// Rendering of decoded binlog values as exact SQL literals.
//
// Contract: on a downstream session with time_zone='+00:00', a utf8mb4 connection and no
// NO_BACKSLASH_ESCAPES (see quote.hpp), writing the literal stores the same value the upstream
// row held: integers and decimals digit for digit, floats with enough digits to round-trip,
// temporals as text (TIMESTAMP converted from epoch seconds to UTC), strings byte for byte.
#pragma once

#include <string>

#include <caf/error.hpp>

#include "protocol/binlog/cell.hpp"
#include "protocol/table_schema.hpp"

namespace dm::sql {

// Appends the literal of `value` in column `column` to `out` (MySQL binary JSON as JSON text).
// Fails (ec::decode_failed) on malformed binary JSON or an absent cell.
caf::error append_literal(std::string& out, const binlog::cell& value, const column_def& column);

// "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC of a TIMESTAMP value (zero stays all zeros).
std::string utc_timestamp_text(uint64_t seconds, uint32_t usec, int fsp);

}  // namespace dm::sql
