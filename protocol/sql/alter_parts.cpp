#include "protocol/sql/alter_parts.hpp"

#include <algorithm>
#include <cctype>

namespace dm::sql {

namespace {

std::string upper(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// One clause: tokens [begin, end) of the statement.
class clause {
 public:
  clause(const std::vector<token>& tokens, size_t begin, size_t end)
      : tokens_(tokens), at_(begin), end_(end), begin_(begin) {}

  bool is(size_t ahead, std::string_view word) const {
    return at_ + ahead < end_ && tokens_[at_ + ahead].is_keyword(word);
  }
  bool accept(std::string_view word) {
    if (!is(0, word)) return false;
    ++at_;
    return true;
  }
  void skip() { ++at_; }
  // The identifier at `ahead`, or "" (upper case, for comparing names as MySQL does).
  std::string name(size_t ahead) const {
    if (at_ + ahead >= end_ || !tokens_[at_ + ahead].is_identifier()) return {};
    return upper(tokens_[at_ + ahead].text);
  }
  // Whether a word occurs anywhere in the clause at parenthesis depth 0.
  bool mentions(std::string_view word) const {
    int depth = 0;
    for (size_t i = begin_; i < end_; ++i) {
      if (tokens_[i].is('(')) ++depth;
      else if (tokens_[i].is(')')) --depth;
      else if (depth == 0 && tokens_[i].is_keyword(word)) return true;
    }
    return false;
  }

 private:
  const std::vector<token>& tokens_;
  size_t at_, end_, begin_;
};

void add(std::vector<std::string>& parts, const char* name) {
  if (std::find(parts.begin(), parts.end(), name) == parts.end()) parts.emplace_back(name);
}

// A clause that changes or places a column: its order and its definition.
void column_change(clause& c, std::vector<std::string>& parts) {
  if (c.mentions("FIRST") || c.mentions("AFTER")) add(parts, "modify columns order");
  if (c.mentions("CHARACTER") || c.mentions("CHARSET")) add(parts, "modify charset");
  if (c.mentions("COLLATE")) add(parts, "modify collation");
}

void classify(clause& c, std::vector<std::string>& parts) {
  if (c.accept("ADD")) {
    if (c.accept("CONSTRAINT")) {
      if (!c.is(0, "PRIMARY") && !c.is(0, "FOREIGN") && !c.is(0, "UNIQUE") && !c.is(0, "CHECK") &&
          !c.name(0).empty())
        c.skip();  // the constraint's name
    }
    if (c.is(0, "PRIMARY")) return add(parts, "add primary key");
    if (c.is(0, "FOREIGN")) return add(parts, "add foreign key");
    if (c.is(0, "CHECK")) return add(parts, "modify constraint");
    if (c.is(0, "PARTITION")) return add(parts, "add table partition");
    if (c.is(0, "INDEX") || c.is(0, "KEY") || c.is(0, "UNIQUE") || c.is(0, "FULLTEXT") ||
        c.is(0, "SPATIAL"))
      return;  // an index: "alter table" alone
    add(parts, "add column");
    return column_change(c, parts);
  }
  if (c.accept("DROP")) {
    if (c.is(0, "PRIMARY")) return add(parts, "drop primary key");
    if (c.is(0, "FOREIGN")) return add(parts, "drop foreign key");
    if (c.is(0, "INDEX") || c.is(0, "KEY")) return add(parts, "drop index");
    if (c.is(0, "PARTITION")) return add(parts, "drop table partition");
    if (c.is(0, "CONSTRAINT") || c.is(0, "CHECK")) return add(parts, "modify constraint");
    return add(parts, "drop column");
  }
  if (c.accept("MODIFY")) {
    add(parts, "modify column");
    return column_change(c, parts);
  }
  if (c.accept("CHANGE")) {
    c.accept("COLUMN");
    c.accept("IF") && c.accept("EXISTS");
    if (!c.name(0).empty() && !c.name(1).empty() && c.name(0) != c.name(1))
      add(parts, "rename column");
    add(parts, "modify column");
    return column_change(c, parts);
  }
  if (c.accept("RENAME")) {
    if (c.is(0, "COLUMN")) return add(parts, "rename column");
    if (c.is(0, "INDEX") || c.is(0, "KEY")) return add(parts, "rename index");
    return;  // RENAME [TO] another table: "alter table" (and the rename) alone
  }
  if (c.accept("ALTER")) {
    if (c.is(0, "INDEX")) return add(parts, "alter index visibility");
    if (c.mentions("DEFAULT")) return add(parts, "modify default value");
    return;
  }
  if (c.accept("CONVERT")) {
    add(parts, "modify charset");
    add(parts, "modify collation");
    return add(parts, "modify table charset and collate");
  }
  c.accept("DEFAULT");
  if (c.is(0, "CHARACTER") || c.is(0, "CHARSET") || c.is(0, "COLLATE"))
    return add(parts, "modify table charset and collate");
  if (c.is(0, "ENGINE")) return add(parts, "modify storage engine");
  if (c.is(0, "COMMENT")) return add(parts, "modify table comment");
  if (c.is(0, "AUTO_INCREMENT")) return add(parts, "rebase auto id");
  if (c.is(0, "REORGANIZE")) return add(parts, "reorganize table partition");
  if (c.is(0, "REBUILD")) return add(parts, "rebuild table partition");
  if (c.is(0, "COALESCE")) return add(parts, "coalesce table partition");
  if (c.is(0, "EXCHANGE")) return add(parts, "exchange table partition");
  if (c.is(0, "TRUNCATE")) return add(parts, "truncate table partition");
  if (c.is(0, "REMOVE")) return add(parts, "remove table partitioning");
  if (c.is(0, "PARTITION")) return add(parts, "alter table partitioning");
}

}  // namespace

std::vector<std::string> alter_table_parts(std::string_view sql, const lexer_mode& mode) {
  auto tokens = tokenize(sql, mode);
  size_t at = 0;
  auto is = [&](size_t i, std::string_view w) { return i < tokens.size() && tokens[i].is_keyword(w); };
  if (!is(at, "ALTER")) return {};
  ++at;
  while (is(at, "ONLINE") || is(at, "OFFLINE") || is(at, "IGNORE")) ++at;
  if (!is(at, "TABLE")) return {};
  ++at;
  if (is(at, "IF") && is(at + 1, "EXISTS")) at += 2;
  // The table: name or db.name.
  if (at < tokens.size() && tokens[at].is_identifier()) ++at;
  if (at + 1 < tokens.size() && tokens[at].is('.') && tokens[at + 1].is_identifier()) at += 2;
  std::vector<std::string> parts;
  size_t clauses = 0;
  int depth = 0;
  size_t start = at;
  for (size_t i = at; i <= tokens.size(); ++i) {
    bool end = i == tokens.size() || (depth == 0 && (tokens[i].is(',') || tokens[i].is(';')));
    if (i < tokens.size() && tokens[i].is('(')) ++depth;
    if (i < tokens.size() && tokens[i].is(')')) --depth;
    if (!end) continue;
    if (i > start) {
      clause c{tokens, start, i};
      classify(c, parts);
      ++clauses;
    }
    start = i + 1;
  }
  if (clauses > 1) add(parts, "multi schema change");
  return parts;
}

bool is_incompatible_part(std::string_view name) {
  static const char* incompatible[] = {
      "value range decrease", "precision decrease", "modify column", "rename column",
      "rename index", "drop column", "drop index", "truncate table partition",
      "drop table partition", "drop primary key", "drop unique key", "modify default value",
      "modify constraint", "modify columns order", "modify charset", "modify collation",
      "remove auto increment", "modify storage engine", "reorganize table partition",
      "rebuild table partition", "coalesce table partition", "split table partition",
      "exchange table partition"};
  return std::any_of(std::begin(incompatible), std::end(incompatible),
                     [&](const char* n) { return name == n; });
}

}  // namespace dm::sql
