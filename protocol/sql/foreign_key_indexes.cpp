#include "protocol/sql/foreign_key_indexes.hpp"

#include <algorithm>
#include <optional>

#include "protocol/sql/table_body.hpp"

namespace dm::sql {

namespace {

// A FOREIGN KEY definition: its constraint's name (empty when the statement gives none), the
// index of its FOREIGN token and its columns.
struct foreign_key {
  const table_definition* definition = nullptr;
  std::string name;
  size_t foreign = 0;
  std::vector<std::string> columns;
};

std::optional<foreign_key> read_foreign_key(const std::vector<token>& tokens,
                                            const table_definition& d) {
  foreign_key fk{&d, {}, d.first, {}};
  if (tokens[d.first].is_keyword("CONSTRAINT")) {
    fk.foreign = d.first + 1;
    if (fk.foreign < d.last && !tokens[fk.foreign].is_keyword("FOREIGN") &&
        tokens[fk.foreign].is_identifier())
      fk.name = tokens[fk.foreign++].text;
  }
  if (fk.foreign + 1 >= d.last || !tokens[fk.foreign].is_keyword("FOREIGN") ||
      !tokens[fk.foreign + 1].is_keyword("KEY"))
    return std::nullopt;
  auto columns = plain_column_list(tokens, fk.foreign, d.last);
  if (!columns) return std::nullopt;
  fk.columns = std::move(*columns);
  return fk;
}

// The name of a key definition (PRIMARY, UNIQUE, FULLTEXT, SPATIAL or plain), with `plain` set
// for a KEY/INDEX one; nullopt for columns, constraints and checks.
std::optional<std::string> read_key_name(const std::vector<token>& tokens,
                                         const table_definition& d, bool& plain) {
  size_t i = d.first;
  if (tokens[i].is_keyword("PRIMARY")) return std::string{"PRIMARY"};
  plain = tokens[i].is_keyword("KEY") || tokens[i].is_keyword("INDEX");
  if (tokens[i].is_keyword("UNIQUE") || tokens[i].is_keyword("FULLTEXT") ||
      tokens[i].is_keyword("SPATIAL"))
    ++i;
  else if (!plain)
    return std::nullopt;
  if (i < d.last && (tokens[i].is_keyword("KEY") || tokens[i].is_keyword("INDEX"))) ++i;
  if (i < d.last && tokens[i].is_identifier()) return tokens[i].text;
  return std::nullopt;
}

struct parsed_table {
  table_body body;
  std::vector<foreign_key> foreign_keys;
  // Plain keys whose columns equal a foreign key's.
  std::vector<std::pair<const table_definition*, foreign_key_index>> candidates;
};

std::optional<parsed_table> parse(std::string_view create_table) {
  auto body = read_table_body(create_table);
  if (!body) return std::nullopt;
  parsed_table out{std::move(*body), {}, {}};
  auto& tokens = out.body.tokens;
  for (auto& d : out.body.definitions)
    if (auto fk = read_foreign_key(tokens, d)) out.foreign_keys.push_back(std::move(*fk));
  for (auto& d : out.body.definitions) {
    bool plain = false;
    auto name = read_key_name(tokens, d, plain);
    if (!name || !plain) continue;
    auto columns = plain_column_list(tokens, d.first, d.last);
    if (!columns) continue;
    for (auto& fk : out.foreign_keys)
      if (fk.columns == *columns) {
        out.candidates.push_back({&d, {*name, *columns}});
        break;
      }
  }
  return out;
}

}  // namespace

std::vector<foreign_key_index> foreign_key_index_candidates(std::string_view create_table) {
  std::vector<foreign_key_index> out;
  if (auto parsed = parse(create_table))
    for (auto& [d, candidate] : parsed->candidates) out.push_back(candidate);
  return out;
}

std::string fold_implicit_indexes(std::string_view create_table,
                                  const std::vector<std::string>& implicit,
                                  const std::string& table) {
  auto parsed = parse(create_table);
  if (!parsed) return std::string{create_table};
  // Each implicit key with its foreign key, in the order of the keys.
  std::vector<std::pair<const table_definition*, const foreign_key*>> folds;
  std::vector<bool> used(parsed->foreign_keys.size(), false);
  for (auto& [key, candidate] : parsed->candidates) {
    if (std::find(implicit.begin(), implicit.end(), candidate.name) == implicit.end()) continue;
    std::optional<size_t> chosen;
    for (size_t i = 0; i < parsed->foreign_keys.size(); ++i) {
      auto& fk = parsed->foreign_keys[i];
      if (used[i] || fk.columns != candidate.columns) continue;
      if (!chosen || fk.name == candidate.name) chosen = i;
      if (fk.name == candidate.name) break;
    }
    if (!chosen || parsed->foreign_keys[*chosen].definition == &parsed->body.definitions.front())
      continue;
    used[*chosen] = true;
    folds.push_back({key, &parsed->foreign_keys[*chosen]});
  }
  // Keys named otherwise than their constraint fold only if the server's counting gives every
  // such constraint its name, and no constraint left named takes that form.
  auto generated = table + "_ibfk_";
  bool counted_names_hold = true;
  int counted = 0;
  for (auto& [key, fk] : folds) {
    bool plain = false;
    auto key_name = read_key_name(parsed->body.tokens, *key, plain);
    if (key_name && *key_name == fk->name) continue;
    if (!key_name || *key_name != fk->columns.front() ||
        fk->name != generated + std::to_string(++counted))
      counted_names_hold = false;
  }
  for (size_t i = 0; i < parsed->foreign_keys.size(); ++i)
    if (!used[i] && parsed->foreign_keys[i].name.rfind(generated, 0) == 0)
      counted_names_hold = false;
  struct edit {
    size_t begin, end;
    std::string_view replacement;
  };
  std::vector<edit> edits;
  for (auto& [key, fk] : folds) {
    bool plain = false;
    auto key_name = read_key_name(parsed->body.tokens, *key, plain);
    bool named_like_key = key_name && *key_name == fk->name;
    if (!named_like_key && !counted_names_hold) continue;
    auto fk_text = fk->definition->text(create_table);
    if (!named_like_key) {
      // Without its CONSTRAINT name, the implicit index is named after the first column.
      auto from = parsed->body.tokens[fk->foreign].begin;
      fk_text = create_table.substr(from, fk_text.data() + fk_text.size() - create_table.data() -
                                              from);
    }
    auto key_text = key->text(create_table);
    auto key_begin = static_cast<size_t>(key_text.data() - create_table.data());
    edits.push_back({key_begin, key_begin + key_text.size(), fk_text});
    // The constraint's own place goes with the comma before it (never the first definition:
    // a table starts with a column).
    auto whole = fk->definition->text(create_table);
    edits.push_back({fk->definition->open,
                     static_cast<size_t>(whole.data() + whole.size() - create_table.data()), {}});
  }
  std::sort(edits.begin(), edits.end(),
            [](const edit& a, const edit& b) { return a.begin < b.begin; });
  std::string out;
  size_t copied = 0;
  for (auto& e : edits) {
    out.append(create_table.substr(copied, e.begin - copied));
    out.append(e.replacement);
    copied = e.end;
  }
  out.append(create_table.substr(copied));
  return out;
}

declared_names declared_key_names(std::string_view create_table) {
  declared_names out;
  auto parsed = parse(create_table);
  if (!parsed) return out;
  for (auto& d : parsed->body.definitions) {
    bool plain = false;
    if (auto name = read_key_name(parsed->body.tokens, d, plain)) {
      out.keys.insert(*name);
      if (plain) out.plain_keys[*name] = std::string{d.text(create_table)};
    }
  }
  for (auto& fk : parsed->foreign_keys) out.foreign_keys.insert(fk.name);
  return out;
}

}  // namespace dm::sql
