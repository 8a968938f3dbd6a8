// A tokenizer for MySQL-dialect statements, enough to find the objects DDL statements name:
// words, backtick-quoted identifiers, string literals, numbers and punctuation, with comments
// skipped and the bodies of executable comments (/*!NNNNN ... */) read as code.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dm::sql {

struct token {
  enum class kind { word, quoted_identifier, string, number, punct } type;
  // The token's text: a word as written, an identifier unquoted (`` becomes `), a string with
  // its quotes, punctuation as its one character.
  std::string text;
  // Byte span of the token in the statement.
  size_t begin = 0;
  size_t end = 0;

  // A word equal to `upper` ignoring case (never a quoted identifier).
  bool is_keyword(std::string_view upper) const;
  // An identifier: a word or a quoted identifier.
  bool is_identifier() const { return type == kind::word || type == kind::quoted_identifier; }
  bool is(char punctuation) const {
    return type == kind::punct && text.size() == 1 && text[0] == punctuation;
  }
};

// How the statement's session reads quotes (from its sql_mode).
struct lexer_mode {
  // ANSI_QUOTES: "..." quotes an identifier, not a string.
  bool ansi_quotes = false;
  // NO_BACKSLASH_ESCAPES: a backslash in a string is an ordinary character.
  bool no_backslash_escapes = false;
};

// The tokens of `sql`. An unterminated string or quoted identifier ends the input.
std::vector<token> tokenize(std::string_view sql, const lexer_mode& mode = {});

}  // namespace dm::sql
