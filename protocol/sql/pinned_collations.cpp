#include "protocol/sql/pinned_collations.hpp"

#include <map>
#include <utility>
#include <vector>

#include "common/ascii_case.hpp"

namespace dm::sql {

namespace {

// For a statement that creates or alters a database or a table: the index of the last token of
// the object's name (a parenthesis right after it opens the column definitions); npos else.
size_t object_name_end(const std::vector<token>& tokens) {
  size_t at = 0;
  auto is = [&](std::string_view w) { return at < tokens.size() && tokens[at].is_keyword(w); };
  if (!is("CREATE") && !is("ALTER")) return std::string::npos;
  ++at;
  while (is("OR") || is("REPLACE") || is("TEMPORARY") || is("ONLINE") || is("OFFLINE") ||
         is("IGNORE"))
    ++at;
  if (!is("DATABASE") && !is("SCHEMA") && !is("TABLE")) return std::string::npos;
  ++at;
  if (is("IF")) {
    ++at;
    if (is("NOT")) ++at;
    if (is("EXISTS")) ++at;
  }
  if (at + 2 < tokens.size() && tokens[at + 1].is('.')) at += 2;
  return at < tokens.size() ? at : std::string::npos;
}

bool starts_with_collate(const std::vector<token>& tokens, size_t first) {
  return first < tokens.size() &&
         (tokens[first].is_keyword("COLLATE") ||
          (tokens[first].is_keyword("DEFAULT") && first + 1 < tokens.size() &&
           tokens[first + 1].is_keyword("COLLATE")));
}

}  // namespace

std::string pin_default_collations(std::string_view sql, const default_collations& defaults,
                                   const lexer_mode& mode) {
  auto tokens = tokenize(sql, mode);
  auto name_end = object_name_end(tokens);
  if (defaults.empty() || name_end == std::string::npos) return std::string{sql};
  // Where definitions are: the statement itself and the parentheses of column definitions (right
  // after the table's name, or after ADD/COLUMN/EXISTS of an ALTER); anything deeper, or opened
  // after another word (CAST, CONVERT, JSON_VALUE, ...), is an expression, left alone. Each
  // token's segment: its group and the number of commas before it there (a column definition or
  // one clause of options).
  struct group {
    size_t open;
    size_t commas;
    bool definitions;
  };
  std::vector<group> groups{{tokens.size(), 0, true}};
  struct segment_facts {
    bool collation = false;       // COLLATE or BINARY (a _bin collation) in it
    bool starts_collate = false;  // it is "[DEFAULT] COLLATE ..."
  };
  std::map<std::pair<size_t, size_t>, segment_facts> segments;
  std::vector<std::pair<size_t, size_t>> segment_of(tokens.size());
  std::vector<bool> in_definitions(tokens.size());
  bool segment_start = true;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (t.is(')') && groups.size() > 1) {
      groups.pop_back();
      segment_start = false;
    }
    auto key = std::make_pair(groups.back().open, groups.back().commas);
    segment_of[i] = key;
    in_definitions[i] = groups.back().definitions;
    auto& facts = segments[key];
    if (t.is_keyword("COLLATE") || t.is_keyword("BINARY")) facts.collation = true;
    if (segment_start) facts.starts_collate = starts_with_collate(tokens, i);
    segment_start = i == name_end;  // an ALTER's first clause starts after the name
    if (t.is(',')) {
      ++groups.back().commas;
      segment_start = true;
    }
    if (t.is('(')) {
      bool definitions =
          groups.size() == 1 && i > 0 &&
          (i - 1 == name_end || tokens[i - 1].is_keyword("ADD") ||
           tokens[i - 1].is_keyword("COLUMN") || tokens[i - 1].is_keyword("EXISTS"));
      groups.push_back({i, 0, definitions});
      segment_start = true;
    }
  }
  // A CREATE's statement level holds only its options: one COLLATE there names the collation.
  bool create_collation = false;
  if (tokens.front().is_keyword("CREATE"))
    for (auto& [key, facts] : segments)
      create_collation |= key.first == tokens.size() && facts.collation;
  auto collation_given = [&](const std::pair<size_t, size_t>& key) {
    auto facts = [&](size_t commas) {
      auto it = segments.find({key.first, commas});
      return it == segments.end() ? segment_facts{} : it->second;
    };
    if (key.first == tokens.size() && create_collation) return true;
    // ALTER ... DEFAULT CHARSET=x, COLLATE=y: options of one list split by a comma.
    return facts(key.second).collation || facts(key.second + 1).starts_collate ||
           (key.second > 0 && facts(key.second - 1).starts_collate);
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
    if (name >= tokens.size() || !in_definitions[i] || collation_given(segment_of[i])) continue;
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
