#include "protocol/sql/lexer.hpp"

#include <cctype>

namespace dm::sql {

bool token::is_keyword(std::string_view upper) const {
  if (type != kind::word || text.size() != upper.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != upper[i]) return false;
  return true;
}

namespace {

bool word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

}  // namespace

std::vector<token> tokenize(std::string_view sql, const lexer_mode& mode) {
  std::vector<token> out;
  size_t i = 0, n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      if (i + 2 < n && sql[i + 2] == '!') {
        // Executable comment: its body is code; the closing */ is skipped below.
        i += 3;
        while (i < n && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
        continue;
      }
      auto end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
      continue;
    }
    if (c == '*' && i + 1 < n && sql[i + 1] == '/') {
      i += 2;
      continue;
    }
    if (c == '#' || (c == '-' && i + 2 < n && sql[i + 1] == '-' &&
                     std::isspace(static_cast<unsigned char>(sql[i + 2])))) {
      auto end = sql.find('\n', i);
      i = end == std::string_view::npos ? n : end + 1;
      continue;
    }
    token t;
    t.begin = i;
    if (c == '`' || (c == '"' && mode.ansi_quotes)) {
      t.type = token::kind::quoted_identifier;
      ++i;
      while (i < n) {
        if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            t.text += c;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        t.text += sql[i++];
      }
    } else if (c == '\'' || c == '"') {
      t.type = token::kind::string;
      ++i;
      while (i < n) {
        if (sql[i] == '\\' && i + 1 < n && !mode.no_backslash_escapes) {
          i += 2;
          continue;
        }
        if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      t.text = std::string{sql.substr(t.begin, i - t.begin)};
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      t.type = token::kind::number;
      while (i < n && (word_char(sql[i]) || sql[i] == '.')) ++i;
      t.text = std::string{sql.substr(t.begin, i - t.begin)};
    } else if (word_char(c)) {
      t.type = token::kind::word;
      while (i < n && word_char(sql[i])) ++i;
      t.text = std::string{sql.substr(t.begin, i - t.begin)};
    } else {
      t.type = token::kind::punct;
      t.text = std::string(1, c);
      ++i;
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace dm::sql
