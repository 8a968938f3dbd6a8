#include "protocol/sql/table_body.hpp"

namespace dm::sql {

std::string_view table_definition::text(std::string_view statement) const {
  auto body = statement.substr(open + 1, close - open - 1);
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!body.empty() && space(body.front())) body.remove_prefix(1);
  while (!body.empty() && space(body.back())) body.remove_suffix(1);
  return body;
}

std::optional<table_body> read_table_body(std::string_view create_table) {
  table_body body;
  body.tokens = tokenize(create_table);
  auto& tokens = body.tokens;
  size_t i = 0;
  while (i < tokens.size() && !tokens[i].is('(')) ++i;
  if (i == tokens.size()) return std::nullopt;
  table_definition current{i + 1, i + 1, tokens[i].begin, 0};
  int depth = 1;
  for (++i; i < tokens.size() && depth > 0; ++i) {
    auto& t = tokens[i];
    if (t.is('(')) ++depth;
    if (t.is(')')) --depth;
    if ((depth == 1 && t.is(',')) || depth == 0) {
      current.last = i;
      current.close = t.begin;
      if (current.first >= current.last) return std::nullopt;
      body.definitions.push_back(current);
      current = table_definition{i + 1, i + 1, t.begin, 0};
    }
  }
  if (depth != 0 || body.definitions.empty()) return std::nullopt;
  body.options = i;
  return body;
}

std::optional<std::vector<std::string>> plain_column_list(const std::vector<token>& tokens,
                                                          size_t from, size_t last) {
  size_t i = from;
  while (i < last && !tokens[i].is('(')) ++i;
  std::vector<std::string> columns;
  for (++i; i < last; ++i) {
    if (!tokens[i].is_identifier()) return std::nullopt;
    columns.push_back(tokens[i].text);
    ++i;
    // A sort order may follow the name; a prefix length or an expression may not.
    if (i < last && (tokens[i].is_keyword("ASC") || tokens[i].is_keyword("DESC"))) ++i;
    if (i < last && tokens[i].is(')')) return columns;
    if (i >= last || !tokens[i].is(',')) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace dm::sql
