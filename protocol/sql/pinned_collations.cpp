#include "protocol/sql/pinned_collations.hpp"

#include <utility>
#include <vector>

#include "common/ascii_case.hpp"

namespace dm::sql {

namespace {

// Whether the statement creates or alters a database or a table.
bool changes_schema_objects(const std::vector<token>& tokens) {
  size_t at = 0;
  auto is = [&](std::string_view w) { return at < tokens.size() && tokens[at].is_keyword(w); };
  if (!is("CREATE") && !is("ALTER")) return false;
  ++at;
  while (is("OR") || is("REPLACE") || is("TEMPORARY") || is("ONLINE") || is("OFFLINE") ||
         is("IGNORE"))
    ++at;
  return is("DATABASE") || is("SCHEMA") || is("TABLE");
}

}  // namespace

std::string pin_default_collations(std::string_view sql, const default_collations& defaults,
                                   const lexer_mode& mode) {
  auto tokens = tokenize(sql, mode);
  if (defaults.empty() || !changes_schema_objects(tokens)) return std::string{sql};
  // Each token's segment: the parenthesis group it is in and the number of commas before it
  // there; a column definition or an option list is one segment.
  std::vector<std::pair<size_t, size_t>> segment(tokens.size());
  std::vector<bool> in_cast(tokens.size());
  struct group {
    size_t open;
    size_t commas;
    bool cast;
  };
  std::vector<group> groups{{tokens.size(), 0, false}};
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (t.is(')') && groups.size() > 1) groups.pop_back();
    segment[i] = {groups.back().open, groups.back().commas};
    in_cast[i] = groups.back().cast;
    if (t.is(',')) ++groups.back().commas;
    if (t.is('(')) {
      bool cast = groups.back().cast ||
                  (i > 0 && (tokens[i - 1].is_keyword("CAST") || tokens[i - 1].is_keyword("CONVERT")));
      groups.push_back({i, 0, cast});
    }
  }
  std::vector<std::pair<size_t, size_t>> with_collate;
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i].is_keyword("COLLATE")) with_collate.push_back(segment[i]);
  auto has_collate = [&](const std::pair<size_t, size_t>& s) {
    for (auto& c : with_collate)
      if (c == s) return true;
    return false;
  };
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    size_t name = i + 1;
    if (tokens[i].is_keyword("CHARACTER") && name < tokens.size() && tokens[name].is_keyword("SET"))
      ++name;
    else if (!tokens[i].is_keyword("CHARSET"))
      continue;
    if (name < tokens.size() && tokens[name].is('=')) ++name;
    if (name >= tokens.size() || in_cast[i] || has_collate(segment[i])) continue;
    auto charset = ascii_lower(tokens[name].text);
    if (tokens[name].type == token::kind::string && charset.size() >= 2)
      charset = charset.substr(1, charset.size() - 2);
    auto found = defaults.find(charset);
    if (found == defaults.end() && charset == "utf8") found = defaults.find("utf8mb3");
    if (found == defaults.end() || charset == "binary") continue;
    out.append(sql.substr(copied, tokens[name].end - copied));
    out += " COLLATE " + found->second;
    copied = tokens[name].end;
  }
  out.append(sql.substr(copied));
  return out;
}

}  // namespace dm::sql
