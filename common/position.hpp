// Positions shared by every layer: upstream binlog coordinates (a file name plus a byte offset,
// ordered by the file's numeric suffix: mysql-bin.000010 comes after mysql-bin.000009, even past
// 999999), and the position of an event in a source's relay log.
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

// Whether `a` comes before `b`; false when either file has no numeric suffix (nothing to order).
bool comes_before(const binlog_position& a, const binlog_position& b);

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

// Position of one event in the relay log of a source. Ordered by segment (a new one starts when
// the upstream's identity changes), then by upstream binlog file index, then by offset.
struct relay_key {
  uint32_t segment = 0;
  uint32_t file_index = 0;
  // Offset of the event's first byte in the upstream binlog file.
  uint32_t offset = 0;

  friend bool operator==(const relay_key& a, const relay_key& b) {
    return a.segment == b.segment && a.file_index == b.file_index && a.offset == b.offset;
  }
  friend bool operator!=(const relay_key& a, const relay_key& b) { return !(a == b); }
  friend bool operator<(const relay_key& a, const relay_key& b) {
    if (a.segment != b.segment) return a.segment < b.segment;
    if (a.file_index != b.file_index) return a.file_index < b.file_index;
    return a.offset < b.offset;
  }
  friend bool operator<=(const relay_key& a, const relay_key& b) { return !(b < a); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_key& x) {
  return f(x.segment, x.file_index, x.offset);
}

// "segment/file_index/offset", for logs and status.
std::string to_string(const relay_key& k);

}  // namespace dm
