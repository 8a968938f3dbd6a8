// Upstream binlog coordinates: a file name plus a byte offset, ordered by the file's numeric
// suffix (mysql-bin.000010 comes after mysql-bin.000009, even past 999999).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace dm {

struct binlog_position {
  // Upstream binlog file name without directory, e.g. "binlog.000012". Empty means "unset".
  std::string file;
  // Byte offset inside `file`; 4 is the first event after the magic header.
  uint32_t pos = 0;

  bool empty() const { return file.empty(); }
};

// The numeric suffix of a binlog file name ("binlog.000012" -> 12), or nullopt if it has none.
std::optional<uint32_t> binlog_file_index(std::string_view file);

// Orders by file index, then by offset. REQUIRES: both files have a numeric suffix and the same
// base name, as all binlog files of one server do.
int compare(const binlog_position& a, const binlog_position& b);

inline bool operator==(const binlog_position& a, const binlog_position& b) {
  return a.file == b.file && a.pos == b.pos;
}
inline bool operator!=(const binlog_position& a, const binlog_position& b) { return !(a == b); }
inline bool operator<(const binlog_position& a, const binlog_position& b) {
  return compare(a, b) < 0;
}

// "binlog.000012:4711"
std::string to_string(const binlog_position& x);

// Parses "file:pos"; the error names `text`.
caf::expected<binlog_position> parse_binlog_position(std::string_view text);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, binlog_position& x) {
  return f(x.file, x.pos);
}

}  // namespace dm
