#include "protocol/sql/secondary_indexes.hpp"

#include <optional>

#include "protocol/sql/table_body.hpp"

namespace dm::sql {

namespace {

bool engine_is_innodb(const std::vector<token>& tokens, size_t from) {
  for (size_t i = from; i + 1 < tokens.size(); ++i) {
    if (!tokens[i].is_keyword("ENGINE")) continue;
    size_t value = tokens[i + 1].is('=') ? i + 2 : i + 1;
    return value < tokens.size() && tokens[value].is_keyword("INNODB");
  }
  return false;
}

// The first column a KEY/INDEX definition names, if it can be read.
std::optional<std::string> first_key_column(const std::vector<token>& tokens,
                                            const table_definition& d) {
  for (size_t i = d.first; i + 1 < d.last; ++i)
    if (tokens[i].is('(') && tokens[i + 1].is_identifier()) return tokens[i + 1].text;
  return std::nullopt;
}

}  // namespace

deferrable_indexes split_secondary_indexes(std::string_view create_table) {
  deferrable_indexes unchanged{std::string{create_table}, {}};
  auto body = read_table_body(create_table);
  if (!body || !engine_is_innodb(body->tokens, body->options)) return unchanged;
  auto& tokens = body->tokens;
  auto& definitions = body->definitions;

  std::optional<std::string> auto_increment_column;
  std::vector<const table_definition*> deferred;
  for (auto& d : definitions) {
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
    auto text = d->text(create_table);
    out.create_table.append(create_table.substr(copied, d->open - copied));
    copied = static_cast<size_t>(text.data() + text.size() - create_table.data());
    out.indexes.emplace_back(text);
  }
  out.create_table.append(create_table.substr(copied));
  return out;
}

}  // namespace dm::sql
