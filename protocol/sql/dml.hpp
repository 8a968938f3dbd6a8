// Builders of the DML statements the appliers send downstream, in plain MySQL dialect that
// MariaDB and TiDB both accept. Row images come from binlog::decode_rows; columns absent from a
// (partial) image and generated columns are left out of what is written.
#pragma once

#include <string>
#include <vector>

#include <caf/error.hpp>

#include "protocol/binlog/cell.hpp"
#include "protocol/table_schema.hpp"

namespace dm::sql {

using row_image = std::vector<binlog::cell>;

// Appends "INSERT INTO target (cols) VALUES (...),(...)" ("REPLACE INTO" when `replace`).
// `target` is the quoted qualified name. REQUIRES: !rows.empty(); every image has one cell per
// schema column and the same columns present.
caf::error append_insert(std::string& out, const std::string& target, const table_schema& schema,
                         const std::vector<const row_image*>& rows, bool replace);

// Appends "DELETE FROM target WHERE <identity of before> LIMIT 1".
caf::error append_delete(std::string& out, const std::string& target, const table_schema& schema,
                         const row_image& before);

// Appends "UPDATE target SET <after> WHERE <identity of before> LIMIT 1".
caf::error append_update(std::string& out, const std::string& target, const table_schema& schema,
                         const row_image& before, const row_image& after);

}  // namespace dm::sql
