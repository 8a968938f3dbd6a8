// The structure of one table as the syncer needs it to turn row images into statements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dm {

struct column_def {
  std::string name;
  bool is_unsigned = false;
  // Character set of a string column ("binary" for BINARY/VARBINARY/BLOB); empty otherwise.
  std::string charset;
  // Generated (virtual or stored) columns are computed by the downstream, never written.
  bool generated = false;
  // Fractional second digits of TIME/DATETIME/TIMESTAMP columns (information_schema's
  // DATETIME_PRECISION); 0 for other columns.
  uint8_t fsp = 0;
  // information_schema's DATA_TYPE in lower case ("int", "varchar", "enum", ...); empty when the
  // structure came from a table map event rather than from the server.
  std::string data_type;
  // BINARY(n): n. The server stores such values padded with 0x00 to n bytes, and the binlog
  // logs them with the padding stripped; 0 for every other column.
  uint32_t binary_length = 0;
};

struct table_schema {
  std::string db;
  std::string table;
  std::vector<column_def> columns;
  // Column indexes of the primary key, in key order; empty when there is none.
  std::vector<size_t> primary_key;
  // Column indexes of each UNIQUE key.
  std::vector<std::vector<size_t>> unique_keys;
  // Column indexes of each UNIQUE key whose columns are all NOT NULL (usable as row identity).
  std::vector<std::vector<size_t>> not_null_unique_keys;
  // Downstream columns the upstream table does not have, each with the one value every row of
  // this table gets there (DM's extract-table/-schema/-source of a route that merges tables):
  // written with every row and part of every condition that finds one.
  std::vector<std::pair<std::string, std::string>> constant_columns;

  // The columns that identify a row in UPDATE/DELETE: the primary key, else the first unique key
  // over NOT NULL columns, else empty (then every column is compared).
  const std::vector<size_t>& identity_key() const {
    if (!primary_key.empty() || not_null_unique_keys.empty()) return primary_key;
    return not_null_unique_keys.front();
  }
};

}  // namespace dm
