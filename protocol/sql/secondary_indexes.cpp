#include "protocol/sql/secondary_indexes.hpp"

#include <optional>

#include "protocol/sql/lexer.hpp"

namespace dm::sql {

namespace {

// One top-level definition of the table body: its tokens and the byte offsets of the comma or
// parenthesis before and after it.
struct definition {
  size_t first = 0;  // index of its first token
  size_t last = 0;   // one past its last token
  size_t open = 0;   // offset of the separator before it
  size_t close = 0;  // offset of the separator after it
};

bool engine_is_innodb(const std::vector<token>& tokens, size_t from) {
  for (size_t i = from; i + 1 < tokens.size(); ++i) {
    if (!tokens[i].is_keyword("ENGINE")) continue;
    size_t value = tokens[i + 1].is('=') ? i + 2 : i + 1;
    return value < tokens.size() && tokens[value].is_keyword("INNODB");
  }
  return false;
}

std::string_view trimmed(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

// The first column a KEY/INDEX definition names, if it can be read.
std::optional<std::string> first_key_column(const std::vector<token>& tokens,
                                            const definition& d) {
  for (size_t i = d.first; i + 1 < d.last; ++i)
    if (tokens[i].is('(') && tokens[i + 1].is_identifier()) return tokens[i + 1].text;
  return std::nullopt;
}

}  // namespace

deferrable_indexes split_secondary_indexes(std::string_view create_table) {
  deferrable_indexes unchanged{std::string{create_table}, {}};
  auto tokens = tokenize(create_table);
  size_t i = 0;
  while (i < tokens.size() && !tokens[i].is('(')) ++i;
  if (i == tokens.size()) return unchanged;

  std::vector<definition> definitions;
  definition current{i + 1, i + 1, tokens[i].begin, 0};
  int depth = 1;
  for (++i; i < tokens.size() && depth > 0; ++i) {
    auto& t = tokens[i];
    if (t.is('(')) ++depth;
    if (t.is(')')) --depth;
    if ((depth == 1 && t.is(',')) || depth == 0) {
      current.last = i;
      current.close = t.begin;
      definitions.push_back(current);
      current = definition{i + 1, i + 1, t.begin, 0};
    }
  }
  if (depth != 0 || definitions.empty() || !engine_is_innodb(tokens, i)) return unchanged;

  std::optional<std::string> auto_increment_column;
  std::vector<const definition*> deferred;
  for (auto& d : definitions) {
    if (d.first >= d.last) return unchanged;
    auto& head = tokens[d.first];
    for (size_t k = d.first; k < d.last; ++k)
      if (tokens[k].is_keyword("FOREIGN") || tokens[k].is_keyword("REFERENCES")) return unchanged;
    if (head.is_keyword("KEY") || head.is_keyword("INDEX")) {
      deferred.push_back(&d);
    } else if (!head.is_keyword("PRIMARY") && !head.is_keyword("UNIQUE") &&
               !head.is_keyword("FULLTEXT") && !head.is_keyword("SPATIAL") &&
               !head.is_keyword("CONSTRAINT") && !head.is_keyword("CHECK") &&
               !head.is_keyword("PERIOD") && head.is_identifier()) {
      for (size_t k = d.first + 1; k < d.last; ++k)
        if (tokens[k].is_keyword("AUTO_INCREMENT")) auto_increment_column = head.text;
    }
  }

  deferrable_indexes out;
  size_t copied = 0;
  for (auto* d : deferred) {
    auto column = first_key_column(tokens, *d);
    if (!column) return unchanged;
    if (column == auto_increment_column) continue;
    // Removes ", KEY ..." up to the end of its text, keeping the line break before a closing
    // parenthesis; a definition is never the first one (a table starts with a column), so the
    // separator before it is a comma.
    if (d == &definitions.front()) return unchanged;
    auto text = trimmed(create_table.substr(d->open + 1, d->close - d->open - 1));
    out.create_table.append(create_table.substr(copied, d->open - copied));
    copied = static_cast<size_t>(text.data() + text.size() - create_table.data());
    out.indexes.emplace_back(text);
  }
  out.create_table.append(create_table.substr(copied));
  return out;
}

}  // namespace dm::sql
