// TABLE_MAP events: the column types of the table a following rows event refers to, with the
// optional metadata of binlog_row_metadata=MINIMAL/FULL (MySQL 8.0, MariaDB 10.5+).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "protocol/binlog/column_type.hpp"
#include "protocol/binlog/event_header.hpp"

namespace dm::binlog {

struct column_meta {
  // The type as it sits in the table map (STRING for CHAR, ENUM and SET alike).
  column_type type = column_type::null;
  // The type that governs decoding: STRING resolved to ENUM/SET/STRING by its metadata.
  column_type real_type = column_type::null;
  // Raw table map metadata (0..2 bytes, little-endian as stored).
  uint16_t meta = 0;
  // CHAR/BINARY: declared byte length, which decides a 1- or 2-byte length prefix.
  uint32_t max_length = 0;
  bool nullable = true;
  // From optional metadata; absent when the server did not log it.
  std::optional<bool> is_unsigned;
  std::optional<uint32_t> collation;
  std::string name;
  std::vector<std::string> enum_values;
  std::vector<std::string> set_values;
  std::optional<uint32_t> geometry_type;
  std::optional<bool> visible;
  // MariaDB 5.3 "hires" TIME/DATETIME/TIMESTAMP columns (tables created before MariaDB 10.1,
  // or with mysql56_temporal_format=OFF) are logged as the old MySQL types without metadata;
  // their width depends on the fractional digits, which only the table's structure tells.
  // 0 reads the MySQL 5.5 layout; 1..6 the MariaDB hires layout with that many digits.
  uint8_t legacy_fsp = 0;
};

struct table_map_event {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string db;
  std::string table;
  std::vector<column_meta> columns;
  // Primary key column indexes from optional metadata, with their prefix length (0 = whole).
  std::vector<std::pair<uint32_t, uint32_t>> primary_key;
  // Which optional metadata fields were present.
  bool has_column_names = false;
  bool has_signedness = false;
  bool has_charsets = false;
  bool has_primary_key = false;
};

caf::expected<table_map_event> decode_table_map(const event_view& ev,
                                                const format_description& fde);

}  // namespace dm::binlog
