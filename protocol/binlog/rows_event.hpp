// WRITE/UPDATE/DELETE rows events (v1, v2, MariaDB compressed) and their row images.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "protocol/binlog/cell.hpp"
#include "protocol/binlog/event_header.hpp"
#include "protocol/binlog/table_map.hpp"

namespace dm::binlog {

struct rows_event {
  rows_kind kind = rows_kind::write;
  uint64_t table_id = 0;
  // STMT_END_F (0x01) marks the last rows event of a statement.
  uint16_t flags = 0;
  // v2 extra data (without its 2-byte length).
  std::string extra_data;
  uint32_t column_count = 0;
  // Columns present in the before image (update/delete) or the only image (write).
  std::vector<bool> present;
  // Columns present in the after image of an update.
  std::vector<bool> present_after;
  // The inflated row images of a compressed event (empty otherwise).
  std::string inflated;
  // The row images inside the event bytes (uncompressed events).
  std::string_view raw_images;

  // The row image bytes, wherever they live. Safe after moving the event.
  std::string_view images() const {
    return inflated.empty() ? raw_images : std::string_view{inflated};
  }
};

// One changed row. Write: `after` only. Delete: `before` only. Update: both.
// Each image has one cell per table column; columns not in a partial image are cell_kind::absent.
struct row_change {
  std::vector<cell> before;
  std::vector<cell> after;
};

// Decodes the rows event header and locates the row images (inflating compressed events).
caf::expected<rows_event> decode_rows_header(const event_view& ev, const format_description& fde);

// Decodes every row of `ev` using the column types of `table` (the table map `ev` refers to).
// Fails with ec::decode_failed when the images do not match the table map.
caf::expected<std::vector<row_change>> decode_rows(const rows_event& ev,
                                                   const table_map_event& table);

// Decodes one value of column `col` from `r` (exposed for tests and the fuzzer).
// REQUIRES: the value is not NULL (NULLs are in the image's null bitmap).
bool decode_value(class byte_reader& r, const column_meta& col, cell& out);

}  // namespace dm::binlog
