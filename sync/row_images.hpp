// Row images from the binlog made into the values the downstream stores. Pure.
#pragma once

#include <vector>

#include "protocol/binlog/rows_event.hpp"
#include "protocol/table_schema.hpp"

namespace dm {

// Pads the values of BINARY(n) columns with the 0x00 bytes the binlog stripped, so that a row
// is matched (and written) by the value the server holds: without it an UPDATE or DELETE that
// matches by such a column finds nothing.
void restore_binary_padding(const table_schema& schema, std::vector<binlog::row_change>& rows);

}  // namespace dm
