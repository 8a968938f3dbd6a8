// Builders of the DML statements the appliers send downstream, in plain MySQL dialect that
// MariaDB and TiDB both accept. Row images come from binlog::decode_rows; columns absent from a
// (partial) image and generated columns are left out of what is written. The schema's constant
// columns are written with every inserted row and added to every condition that finds rows.
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

// Appends "INSERT INTO target (cols) VALUES (...),(...) ON DUPLICATE KEY UPDATE c=VALUES(c),..."
// (every written column): each row is made to exist with exactly its
// image, whether or not a row with its key existed. REQUIRES as for append_insert, and a
// table with an identity key.
caf::error append_upsert(std::string& out, const std::string& target, const table_schema& schema,
                         const std::vector<const row_image*>& rows);

// Appends "DELETE FROM target WHERE <identity key> IN (<key of each row>)". REQUIRES: the table
// has an identity key and every image holds its columns.
caf::error append_delete_keys(std::string& out, const std::string& target,
                              const table_schema& schema,
                              const std::vector<const row_image*>& rows);

}  // namespace dm::sql
