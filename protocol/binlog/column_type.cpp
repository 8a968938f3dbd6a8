#include "protocol/binlog/column_type.hpp"

namespace dm::binlog {

const char* column_type_name(column_type t) {
  switch (t) {
    case column_type::decimal: return "DECIMAL";
    case column_type::tiny: return "TINYINT";
    case column_type::short_: return "SHORTINT";
    case column_type::long_: return "INT";
    case column_type::float_: return "FLOAT";
    case column_type::double_: return "DOUBLE";
    case column_type::null: return "NULL";
    case column_type::timestamp: return "TIMESTAMP";
    case column_type::longlong: return "LONGINT";
    case column_type::int24: return "MEDIUMINT";
    case column_type::date: return "DATE";
    case column_type::time: return "TIME";
    case column_type::datetime: return "DATETIME";
    case column_type::year: return "YEAR";
    case column_type::newdate: return "DATE";
    case column_type::varchar: return "VARSTRING";
    case column_type::bit: return "BIT";
    case column_type::timestamp2: return "TIMESTAMP";
    case column_type::datetime2: return "DATETIME";
    case column_type::time2: return "TIME";
    case column_type::typed_array: return "TYPED_ARRAY";
    case column_type::varchar_compressed: return "VARSTRING";
    case column_type::blob_compressed: return "BLOB";
    case column_type::json: return "JSON";
    case column_type::newdecimal: return "DECIMAL";
    case column_type::enum_: return "ENUM";
    case column_type::set: return "SET";
    case column_type::tiny_blob: return "TINYBLOB";
    case column_type::medium_blob: return "MEDIUMBLOB";
    case column_type::long_blob: return "LONGBLOB";
    case column_type::blob: return "BLOB";
    case column_type::var_string: return "VARSTRING";
    case column_type::string: return "STRING";
    case column_type::geometry: return "GEOMETRY";
  }
  return "UNKNOWN";
}

bool is_numeric_type(column_type t, bool mariadb) {
  switch (t) {
    case column_type::year:
      return mariadb;
    case column_type::tiny:
    case column_type::short_:
    case column_type::int24:
    case column_type::long_:
    case column_type::longlong:
    case column_type::newdecimal:
    case column_type::decimal:
    case column_type::float_:
    case column_type::double_:
      return true;
    default:
      return false;
  }
}

bool is_character_type(column_type t) {
  switch (t) {
    case column_type::string:
    case column_type::var_string:
    case column_type::varchar:
    case column_type::varchar_compressed:
    case column_type::blob:
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob_compressed:
      return true;
    default:
      return false;
  }
}

}  // namespace dm::binlog
