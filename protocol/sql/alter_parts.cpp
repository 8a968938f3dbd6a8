#include "protocol/sql/alter_parts.hpp"

#include <algorithm>
#include <set>

#include "common/ascii_case.hpp"

namespace dm::sql {

namespace {

// One clause: tokens [begin, end) of the statement.
class clause {
 public:
  clause(const std::vector<token>& tokens, size_t begin, size_t end)
      : tokens_(tokens), at_(begin), end_(end), begin_(begin) {}

  bool is(size_t ahead, std::string_view word) const {
    return at_ + ahead < end_ && tokens_[at_ + ahead].is_keyword(word);
  }
  bool is_punct(size_t ahead, char punctuation) const {
    return at_ + ahead < end_ && tokens_[at_ + ahead].is(punctuation);
  }
  bool accept(std::string_view word) {
    if (!is(0, word)) return false;
    ++at_;
    return true;
  }
  void skip() { ++at_; }
  // The declared type of the column definition from `ahead` to the clause's end.
  std::optional<declared_type> type(size_t ahead) const {
    return parse_declared_type(tokens_, at_ + ahead, end_);
  }
  // The identifier at `ahead`, or "" (upper case, for comparing names as MySQL does).
  std::string name(size_t ahead) const {
    if (at_ + ahead >= end_ || !tokens_[at_ + ahead].is_identifier()) return {};
    return ascii_upper(tokens_[at_ + ahead].text);
  }
  // Whether a word (followed by `next`, when given) occurs anywhere in the clause at parenthesis
  // depth 0.
  bool mentions(std::string_view word, std::string_view next = {}) const {
    int depth = 0;
    for (size_t i = begin_; i < end_; ++i) {
      if (tokens_[i].is('(')) ++depth;
      else if (tokens_[i].is(')')) --depth;
      else if (depth == 0 && tokens_[i].is_keyword(word) &&
               (next.empty() || (i + 1 < end_ && tokens_[i + 1].is_keyword(next))))
        return true;
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

// What a statement's clauses tell with the table's old definition: the columns it drops.
struct definition_context {
  const table_definition* before = nullptr;
  std::set<std::string> dropped_columns;
};

// Compares a MODIFY/CHANGE's new column definition (from `ahead`) with column `name` before it.
void compare_column(clause& c, size_t ahead, const std::string& name, definition_context& ctx,
                    std::vector<std::string>& parts) {
  if (!ctx.before || name.empty()) return;
  auto old = ctx.before->columns.find(name);
  auto now = c.type(ahead);
  if (old == ctx.before->columns.end() || !now) return;
  for (const char* part : column_change_parts(old->second, *now)) add(parts, part);
}

// Names "drop unique key" when index `name` is a unique one of the old definition.
void dropped_index(const std::string& name, const definition_context& ctx,
                   std::vector<std::string>& parts) {
  if (ctx.before && ctx.before->unique_indexes.count(name)) add(parts, "drop unique key");
}

void classify(clause& c, definition_context& ctx, std::vector<std::string>& parts) {
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
    if (c.accept("INDEX") || c.accept("KEY")) {
      c.accept("IF") && c.accept("EXISTS");
      dropped_index(c.name(0), ctx, parts);
      return add(parts, "drop index");
    }
    if (c.is(0, "PARTITION")) return add(parts, "drop table partition");
    if (c.accept("CONSTRAINT")) {
      c.accept("IF") && c.accept("EXISTS");
      dropped_index(c.name(0), ctx, parts);
      return add(parts, "modify constraint");
    }
    if (c.is(0, "CHECK")) return add(parts, "modify constraint");
    c.accept("COLUMN");
    c.accept("IF") && c.accept("EXISTS");
    ctx.dropped_columns.insert(c.name(0));
    return add(parts, "drop column");
  }
  if (c.accept("MODIFY")) {
    c.accept("COLUMN");
    c.accept("IF") && c.accept("EXISTS");
    add(parts, "modify column");
    compare_column(c, 1, c.name(0), ctx, parts);
    return column_change(c, parts);
  }
  if (c.accept("CHANGE")) {
    c.accept("COLUMN");
    c.accept("IF") && c.accept("EXISTS");
    if (!c.name(0).empty() && !c.name(1).empty() && c.name(0) != c.name(1))
      add(parts, "rename column");
    add(parts, "modify column");
    compare_column(c, 2, c.name(0), ctx, parts);
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

// The token ranges [begin, end) of ALTER TABLE statement `tokens`' clauses; empty when it is
// not one.
std::vector<std::pair<size_t, size_t>> clause_ranges(const std::vector<token>& tokens) {
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
  std::vector<std::pair<size_t, size_t>> ranges;
  int depth = 0;
  size_t start = at;
  for (size_t i = at; i <= tokens.size(); ++i) {
    bool end = i == tokens.size() || (depth == 0 && (tokens[i].is(',') || tokens[i].is(';')));
    if (i < tokens.size() && tokens[i].is('(')) ++depth;
    if (i < tokens.size() && tokens[i].is(')')) --depth;
    if (!end) continue;
    if (i > start) ranges.emplace_back(start, i);
    start = i + 1;
  }
  return ranges;
}

}  // namespace

std::vector<std::string> alter_table_parts(std::string_view sql, const lexer_mode& mode,
                                           const table_definition* before) {
  auto tokens = tokenize(sql, mode);
  auto ranges = clause_ranges(tokens);
  std::vector<std::string> parts;
  definition_context ctx{before, {}};
  for (auto [begin, end] : ranges) {
    clause c{tokens, begin, end};
    classify(c, ctx, parts);
  }
  // A unique index all of whose columns the statement drops goes with them.
  if (before)
    for (auto& [index, columns] : before->unique_indexes)
      if (!columns.empty() &&
          std::all_of(columns.begin(), columns.end(),
                      [&](const std::string& col) { return ctx.dropped_columns.count(col); }))
        add(parts, "drop unique key");
  if (ranges.size() > 1) add(parts, "multi schema change");
  return parts;
}

std::vector<alter_clause> alter_table_clauses(std::string_view sql, const lexer_mode& mode) {
  auto tokens = tokenize(sql, mode);
  std::vector<alter_clause> out;
  for (auto [begin, end] : clause_ranges(tokens)) {
    clause c{tokens, begin, end};
    alter_clause a;
    a.text = std::string{sql.substr(tokens[begin].begin, tokens[end - 1].end - tokens[begin].begin)};
    if (c.accept("ADD")) {
      std::string constraint;  // ADD CONSTRAINT name UNIQUE (...) names the index so
      if (c.accept("CONSTRAINT") && !c.is(0, "UNIQUE") && !c.is(0, "PRIMARY") &&
          !c.is(0, "FOREIGN") && !c.is(0, "CHECK") && !c.name(0).empty()) {
        constraint = c.name(0);
        c.skip();
      }
      if (c.accept("UNIQUE") || c.accept("FULLTEXT") || c.accept("SPATIAL") || c.is(0, "INDEX") ||
          c.is(0, "KEY")) {
        c.accept("INDEX") || c.accept("KEY");
        c.accept("IF") && c.accept("NOT") && c.accept("EXISTS");
        a.what = alter_clause::kind::add_index;
        // Unnamed, the server names it after its first column.
        a.index = !c.name(0).empty() ? c.name(0) : !constraint.empty() ? constraint : c.name(1);
      } else if (!c.is(0, "PRIMARY") && !c.is(0, "FOREIGN") && !c.is(0, "CHECK") &&
                 !c.is(0, "PARTITION") && !c.is_punct(0, '(') &&
                 !(c.is(0, "COLUMN") && c.is_punct(1, '('))) {
        c.accept("COLUMN");
        c.accept("IF") && c.accept("NOT") && c.accept("EXISTS");
        a.what = alter_clause::kind::add_column;
        a.column = c.name(0);
        a.type = c.type(1);
        a.not_null_without_default = c.mentions("NOT", "NULL") && !c.mentions("DEFAULT") &&
                                     !c.mentions("AUTO_INCREMENT") && !c.mentions("AS");
      }
    } else if (c.accept("MODIFY") || c.is(0, "CHANGE")) {
      bool change = c.accept("CHANGE");
      c.accept("COLUMN");
      c.accept("IF") && c.accept("EXISTS");
      if (!change || c.name(0) == c.name(1)) {
        a.what = alter_clause::kind::modify_column;
        a.column = c.name(0);
        a.type = c.type(change ? 2 : 1);
      }
    } else if (c.accept("DEFAULT") || c.is(0, "ENGINE") || c.is(0, "COMMENT") ||
               c.is(0, "CHARACTER") || c.is(0, "CHARSET") || c.is(0, "COLLATE") ||
               c.is(0, "ALGORITHM") || c.is(0, "LOCK") || c.is(0, "ROW_FORMAT") ||
               c.is(0, "AUTO_INCREMENT") || c.is(0, "FORCE")) {
      a.what = alter_clause::kind::table_option;
    }
    out.push_back(std::move(a));
  }
  return out;
}

namespace {

// The index a `verb` INDEX statement (CREATE [UNIQUE|...] INDEX [IF NOT EXISTS] name, DROP INDEX
// [IF EXISTS] name) names, in upper case; "" when `sql` is not one.
std::string index_statement_name(std::string_view sql, const lexer_mode& mode,
                                 std::string_view verb) {
  auto tokens = tokenize(sql, mode);
  size_t at = 0;
  auto is = [&](std::string_view w) { return at < tokens.size() && tokens[at].is_keyword(w); };
  if (!is(verb)) return {};
  ++at;
  while (is("ONLINE") || is("OFFLINE") || is("UNIQUE") || is("FULLTEXT") || is("SPATIAL")) ++at;
  if (!is("INDEX")) return {};
  ++at;
  if (is("IF")) {
    ++at;
    if (is("NOT")) ++at;
    if (is("EXISTS")) ++at;
  }
  return at < tokens.size() && tokens[at].is_identifier() ? ascii_upper(tokens[at].text) : "";
}

}  // namespace

std::vector<std::string> drop_index_parts(std::string_view sql, const lexer_mode& mode,
                                          const table_definition* before) {
  std::vector<std::string> parts;
  auto index = index_statement_name(sql, mode, "DROP");
  if (!index.empty()) dropped_index(index, definition_context{before, {}}, parts);
  return parts;
}

std::string created_index_name(std::string_view sql, const lexer_mode& mode) {
  return index_statement_name(sql, mode, "CREATE");
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
