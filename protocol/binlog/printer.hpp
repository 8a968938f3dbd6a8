// Text rendering of binlog events in the form of mariadb-binlog, for the dm-binlog viewer.
// Pure: turns decoded events into text.
//
// Row values (`###   @N=value` lines with --verbose) are spelled as mariadb-binlog --verbose
// spells them, except where its spelling loses the value; then the true value is printed:
// - integers of columns the table map marks UNSIGNED print their unsigned value (mariadb-binlog
//   prints the signed reading and the unsigned one in parentheses);
// - FLOAT prints the shortest text that reads back as the same float (mariadb-binlog: 6 digits);
// - YEAR 0 prints 0000 (mariadb-binlog: 1900);
// - MySQL binary JSON prints its JSON text (mariadb-binlog cannot print it).
#pragma once

#include <cstdint>
#include <string>

#include "protocol/binlog/cell.hpp"
#include "protocol/binlog/rows_event.hpp"
#include "protocol/binlog/stream_decoder.hpp"
#include "protocol/binlog/table_map.hpp"

namespace dm::binlog {

// Appends the event's "# at" line, its header line and its description, as mariadb-binlog
// does; `position` is the event's offset in its file.
void print_event(std::string& out, const decoded_event& ev, uint64_t position);

// Appends the `###` lines of the rows of one rows event.
void print_rows(std::string& out, const rows_event& ev, const table_map_event& table,
                const std::vector<row_change>& rows);

// Appends one value as it appears after "@N=".
void print_value(std::string& out, const cell& value, const column_meta& column);

}  // namespace dm::binlog
