// MySQL's binary JSON encoding (JSON columns in MySQL 5.7/8.0 row images) to JSON text.
// MariaDB stores JSON as text and never produces this.
//
// Format (MySQL's json_binary.h): a type byte, then the value. Objects and arrays come in a
// small (16-bit counts and offsets) and a large (32-bit) flavor; scalars in containers are
// inlined in the offset slot when they fit; strings carry a variable-length size; opaque
// values carry a MySQL field type (DECIMAL and temporal types are rendered as such).
#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace dm::binlog {

// The JSON text of a binary JSON document, in MySQL's spelling ({"a": 1, "b": [true, null]}).
// Fails with ec::decode_failed on malformed input (bounds and nesting depth are checked).
caf::expected<std::string> json_binary_to_text(std::string_view bytes);

}  // namespace dm::binlog
