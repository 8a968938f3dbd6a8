// Column type codes as they appear in table map events (enum_field_types of MySQL and MariaDB).
#pragma once

#include <cstdint>

namespace dm::binlog {

enum class column_type : uint8_t {
  decimal = 0,  // pre-5.0 DECIMAL, never written by a 5.x+ server in row events
  tiny = 1,
  short_ = 2,
  long_ = 3,
  float_ = 4,
  double_ = 5,
  null = 6,
  timestamp = 7,
  longlong = 8,
  int24 = 9,
  date = 10,
  time = 11,
  datetime = 12,
  year = 13,
  newdate = 14,
  varchar = 15,
  bit = 16,
  timestamp2 = 17,
  datetime2 = 18,
  time2 = 19,
  typed_array = 20,
  // MariaDB column compression (CREATE TABLE ... COMPRESSED)
  varchar_compressed = 140,
  blob_compressed = 141,
  json = 245,
  newdecimal = 246,
  enum_ = 247,
  set = 248,
  tiny_blob = 249,
  medium_blob = 250,
  long_blob = 251,
  blob = 252,
  var_string = 253,
  string = 254,
  geometry = 255,
};

// Type name as mariadb-binlog prints it in "### @1=... /* TYPE meta=... */" comments.
const char* column_type_name(column_type t);

// True for the types whose signedness the SIGNEDNESS optional metadata covers. MariaDB counts
// YEAR among them (its YEAR is an unsigned integer field); MySQL does not.
bool is_numeric_type(column_type t, bool mariadb);

// True for the types whose collation the *_CHARSET optional metadata covers (string types other
// than ENUM and SET; BLOB/TEXT included, GEOMETRY and MySQL JSON excluded).
bool is_character_type(column_type t);

}  // namespace dm::binlog
