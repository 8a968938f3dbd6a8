#include "protocol/sql/ddl.hpp"

#include "protocol/sql/lexer.hpp"

namespace dm::sql {

namespace {

class reader {
 public:
  reader(std::vector<token> tokens, std::string_view default_db)
      : tokens_(std::move(tokens)), default_db_(default_db) {}

  bool done() const { return at_ >= tokens_.size(); }
  const token* peek(size_t ahead = 0) const {
    return at_ + ahead < tokens_.size() ? &tokens_[at_ + ahead] : nullptr;
  }
  bool keyword(std::string_view k, size_t ahead = 0) const {
    auto* t = peek(ahead);
    return t && t->is_keyword(k);
  }
  // Consumes the keyword if it is next.
  bool accept(std::string_view k) {
    if (!keyword(k)) return false;
    ++at_;
    return true;
  }
  bool accept_punct(char c) {
    if (!peek() || !peek()->is(c)) return false;
    ++at_;
    return true;
  }
  void skip(size_t n = 1) { at_ += n; }

  // IF [NOT] EXISTS
  void accept_if_exists() {
    if (keyword("IF") && (keyword("EXISTS", 1) || (keyword("NOT", 1) && keyword("EXISTS", 2))))
      skip(keyword("NOT", 1) ? 3 : 2);
  }

  // [db.]name; nullopt if no identifier is next.
  std::optional<object_ref> name(bool is_database = false) {
    auto* first = peek();
    if (!first || !first->is_identifier()) return std::nullopt;
    object_ref ref;
    ref.begin = first->begin;
    ref.end = first->end;
    ++at_;
    if (is_database) {
      ref.db = first->text;
      return ref;
    }
    if (peek() && peek()->is('.') && peek(1) && peek(1)->is_identifier()) {
      ref.db = first->text;
      ref.table = peek(1)->text;
      ref.end = peek(1)->end;
      at_ += 2;
    } else {
      ref.db = std::string{default_db_};
      ref.table = first->text;
    }
    return ref;
  }

  // Skips to just after the next comma at nesting depth 0; false at the end.
  bool skip_to_next_item() {
    int depth = 0;
    for (; !done(); ++at_) {
      auto& t = tokens_[at_];
      if (t.is('(')) ++depth;
      if (t.is(')')) --depth;
      if (depth == 0 && t.is(',')) {
        ++at_;
        return true;
      }
    }
    return false;
  }

  const std::vector<token>& tokens() const { return tokens_; }
  size_t position() const { return at_; }

 private:
  std::vector<token> tokens_;
  std::string_view default_db_;
  size_t at_ = 0;
};

void read_create(reader& r, ddl_statement& out) {
  if (r.accept("OR")) r.accept("REPLACE");
  r.accept("TEMPORARY");
  if (r.accept("DATABASE") || r.accept("SCHEMA")) {
    out.kind = statement_kind::create_database;
    r.accept_if_exists();
    out.database = r.name(true);
    return;
  }
  if (r.accept("TABLE")) {
    out.kind = statement_kind::create_table;
    r.accept_if_exists();
    if (auto t = r.name()) out.tables.push_back(*t);
    // CREATE TABLE t LIKE s / (LIKE s); CREATE TABLE t ... SELECT
    bool paren = r.accept_punct('(');
    if (r.accept("LIKE")) {
      if (auto s = r.name()) out.tables.push_back(*s);
      out.creates_from_other = true;
      return;
    }
    (void)paren;
    for (auto& t : r.tokens())
      if (t.is_keyword("SELECT")) out.creates_from_other = true;
    return;
  }
  r.accept("ONLINE") || r.accept("OFFLINE");
  r.accept("UNIQUE") || r.accept("FULLTEXT") || r.accept("SPATIAL");
  if (r.accept("INDEX")) {
    out.kind = statement_kind::create_index;
    r.accept_if_exists();
    r.name(true);  // the index
    while (!r.done() && !r.keyword("ON")) r.skip();
    if (r.accept("ON"))
      if (auto t = r.name()) out.tables.push_back(*t);
  }
}

void read_alter(reader& r, ddl_statement& out) {
  r.accept("ONLINE") || r.accept("OFFLINE");
  r.accept("IGNORE");
  if (r.accept("DATABASE") || r.accept("SCHEMA")) {
    out.kind = statement_kind::alter_database;
    // ALTER DATABASE [name] options: a name is an identifier not followed by '='.
    auto* t = r.peek();
    if (t && t->is_identifier() && !t->is_keyword("DEFAULT") && !t->is_keyword("CHARACTER") &&
        !t->is_keyword("CHARSET") && !t->is_keyword("COLLATE") && !t->is_keyword("COMMENT") &&
        !(r.peek(1) && r.peek(1)->is('=')))
      out.database = r.name(true);
    return;
  }
  if (!r.accept("TABLE")) return;
  out.kind = statement_kind::alter_table;
  r.accept_if_exists();
  if (auto t = r.name()) out.tables.push_back(*t);
  // ALTER TABLE t ..., RENAME [TO|AS] t2 (not RENAME COLUMN/INDEX/KEY)
  while (!r.done()) {
    if (r.accept("RENAME")) {
      if (r.keyword("COLUMN") || r.keyword("INDEX") || r.keyword("KEY")) continue;
      r.accept("TO") || r.accept("AS");
      if (auto t = r.name()) out.tables.push_back(*t);
      continue;
    }
    r.skip();
  }
}

void read_drop(reader& r, ddl_statement& out) {
  r.accept("TEMPORARY");
  if (r.accept("DATABASE") || r.accept("SCHEMA")) {
    out.kind = statement_kind::drop_database;
    r.accept_if_exists();
    out.database = r.name(true);
    return;
  }
  if (r.accept("TABLE") || r.accept("TABLES")) {
    out.kind = statement_kind::drop_table;
    r.accept_if_exists();
    do {
      if (auto t = r.name()) out.tables.push_back(*t);
    } while (r.accept_punct(','));
    return;
  }
  r.accept("ONLINE") || r.accept("OFFLINE");
  if (r.accept("INDEX")) {
    out.kind = statement_kind::drop_index;
    r.accept_if_exists();
    r.name(true);
    if (r.accept("ON"))
      if (auto t = r.name()) out.tables.push_back(*t);
  }
}

void read_rename(reader& r, ddl_statement& out) {
  if (!r.accept("TABLE") && !r.accept("TABLES")) return;
  out.kind = statement_kind::rename_table;
  do {
    auto from = r.name();
    if (!from || !r.accept("TO")) return;
    auto to = r.name();
    if (!to) return;
    out.tables.push_back(*from);
    out.tables.push_back(*to);
  } while (r.accept_punct(','));
}

}  // namespace

ddl_statement analyze_ddl(std::string_view sql, std::string_view default_db,
                          const lexer_mode& mode) {
  reader r{tokenize(sql, mode), default_db};
  ddl_statement out;
  if (r.done()) return out;
  if (r.keyword("BEGIN") || r.keyword("COMMIT") || r.keyword("ROLLBACK") || r.keyword("XA") ||
      r.keyword("SAVEPOINT") || r.keyword("RELEASE") || r.keyword("START")) {
    out.kind = statement_kind::transaction_control;
    return out;
  }
  if (r.accept("CREATE")) {
    // CREATE DEFINER=... VIEW/TRIGGER/... are not schema changes of tables.
    read_create(r, out);
  } else if (r.accept("ALTER")) {
    read_alter(r, out);
  } else if (r.accept("DROP")) {
    read_drop(r, out);
  } else if (r.accept("RENAME")) {
    read_rename(r, out);
  } else if (r.accept("TRUNCATE")) {
    r.accept("TABLE");
    out.kind = statement_kind::truncate_table;
    if (auto t = r.name()) out.tables.push_back(*t);
  }
  bool named = !out.tables.empty() || out.database || out.kind == statement_kind::alter_database;
  if (!named) out.kind = statement_kind::other;
  return out;
}

statement_kind classify_statement(std::string_view sql) { return analyze_ddl(sql, "").kind; }

bool is_replicated_ddl(statement_kind kind) {
  return kind != statement_kind::transaction_control && kind != statement_kind::other;
}

const char* to_string(statement_kind kind) {
  switch (kind) {
    case statement_kind::transaction_control: return "transaction control";
    case statement_kind::create_database: return "CREATE DATABASE";
    case statement_kind::alter_database: return "ALTER DATABASE";
    case statement_kind::drop_database: return "DROP DATABASE";
    case statement_kind::create_table: return "CREATE TABLE";
    case statement_kind::alter_table: return "ALTER TABLE";
    case statement_kind::drop_table: return "DROP TABLE";
    case statement_kind::rename_table: return "RENAME TABLE";
    case statement_kind::truncate_table: return "TRUNCATE TABLE";
    case statement_kind::create_index: return "CREATE INDEX";
    case statement_kind::drop_index: return "DROP INDEX";
    case statement_kind::other: return "other";
  }
  return "other";
}

std::string rewrite(std::string_view sql,
                    const std::vector<std::pair<object_ref, std::string>>& replacements) {
  std::string out;
  size_t at = 0;
  for (auto& [ref, text] : replacements) {
    out.append(sql.substr(at, ref.begin - at));
    out += text;
    at = ref.end;
  }
  out.append(sql.substr(at));
  return out;
}

}  // namespace dm::sql
