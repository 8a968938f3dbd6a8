// Reads the body of a CREATE TABLE as SHOW CREATE TABLE prints it: the top-level definitions
// (columns, keys, constraints) between its parentheses, as token ranges with their byte spans,
// so that callers can take definitions out or put others in place without re-printing the rest.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/sql/lexer.hpp"

namespace dm::sql {

// One top-level definition of the table body.
struct table_definition {
  size_t first = 0;  // index of its first token
  size_t last = 0;   // one past its last token
  size_t open = 0;   // byte offset of the separator before it: '(' for the first, else ','
  size_t close = 0;  // byte offset of the separator after it: ',' or the closing ')'
  // Its text without the separators and the white space around it.
  std::string_view text(std::string_view statement) const;
};

struct table_body {
  std::vector<token> tokens;
  std::vector<table_definition> definitions;
  // Index of the first token after the body's closing parenthesis (the table options).
  size_t options = 0;
};

// The body of `create_table`; nullopt when it has none that can be read (no parenthesis,
// unbalanced, or an empty definition).
std::optional<table_body> read_table_body(std::string_view create_table);

// The column names a KEY/INDEX/FOREIGN KEY definition lists in its first parenthesis
// (starting at token `from`), or nullopt when one carries a prefix length or an expression.
std::optional<std::vector<std::string>> plain_column_list(const std::vector<token>& tokens,
                                                          size_t from, size_t last);

}  // namespace dm::sql
