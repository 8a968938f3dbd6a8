// What an ALTER TABLE does to the values a table can hold, told with DM's filter names for it:
// "value range decrease", "precision decrease", "remove auto increment" (a MODIFY/CHANGE COLUMN
// compared with the column's declared type before it) and "drop unique key" (a unique index
// dropped, by name or with all its columns). These need the table's definition before the
// statement, which the statement alone does not carry; the caller reads it (downstream).
//
// The meaning, per family of types (the types must be of one family; any other change of type
// is "modify column" alone, as in DM):
// - integers (TINYINT .. BIGINT): value range decrease when the new type's range does not hold
//   the old one's (smaller, or signedness changed without room);
// - DECIMAL: value range decrease with fewer integer digits or UNSIGNED gained; precision
//   decrease with fewer fractional digits;
// - FLOAT/DOUBLE: DOUBLE to FLOAT is a precision decrease; with (M,D), fewer D is a precision
//   decrease, fewer M-D or UNSIGNED gained a value range decrease;
// - character strings (CHAR, VARCHAR, TEXT types) and byte strings (BINARY, VARBINARY, BLOB
//   types), each family apart: value range decrease when the declared maximum length shrinks
//   (characters for CHAR/VARCHAR, bytes for TEXT and BLOB types, compared as declared, as DM
//   does); a BINARY(n) whose n changes is also a precision decrease (its 0x00 padding changes);
// - ENUM/SET: value range decrease unless the old elements are kept, in order, at the start;
// - DATE/DATETIME/TIMESTAMP/TIME: fewer fractional-second digits, or DATETIME/TIMESTAMP to DATE,
//   is a precision decrease; DATE/DATETIME to TIMESTAMP a value range decrease;
// - BIT(M): value range decrease with a smaller M.
// A column with AUTO_INCREMENT before and not after is "remove auto increment".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sql/lexer.hpp"

namespace dm::sql {

// A column's declared type, as a column definition or information_schema's COLUMN_TYPE writes
// it, with the attributes that matter here.
struct declared_type {
  // Canonical upper-case name: INTEGER is INT, NUMERIC is DECIMAL, BOOLEAN is TINYINT, ...
  std::string name;
  // (M) or (M,D); absent when not written.
  std::optional<uint64_t> length;
  std::optional<uint64_t> scale;
  bool is_unsigned = false;
  // ENUM/SET elements, unquoted.
  std::vector<std::string> elements;
  bool auto_increment = false;
};

// The type of the column definition in tokens [at, end) (the type first, then attributes), or
// nullopt when no type name is there.
std::optional<declared_type> parse_declared_type(const std::vector<token>& tokens, size_t at,
                                                 size_t end);
// The same for a text ("decimal(10,2) unsigned", "enum('a','b')").
std::optional<declared_type> parse_declared_type(std::string_view text);

// A table's definition as far as these names need it: names in upper case (compared as MySQL
// compares column and index names).
struct table_definition {
  std::map<std::string, declared_type> columns;
  // Unique indexes other than the primary key: index name -> its columns.
  std::map<std::string, std::vector<std::string>> unique_indexes;
  // Every index's name (PRIMARY included).
  std::set<std::string> indexes;
};

// Whether `a` and `b` declare the same type (an integer's display width aside).
bool same_declared_type(const declared_type& a, const declared_type& b);

// Whether `a` and `b` are of one of the families above (or the same type otherwise), so that
// column_change_parts can tell what changing one into the other does.
bool same_type_family(const declared_type& a, const declared_type& b);

// The DM names of what changing a column from `before` to `after` does to its values (see the
// top of this file); empty when nothing.
std::vector<const char*> column_change_parts(const declared_type& before,
                                            const declared_type& after);

}  // namespace dm::sql
