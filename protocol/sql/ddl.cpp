#include "protocol/sql/ddl.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace dm::sql {

namespace {

// Upper-cased leading words of `sql`, skipping whitespace and comments; stops after `max`
// words or at the first token that is not a bare word. "/*!NNNNN ...*/" bodies are read as
// statement text.
std::vector<std::string> leading_words(std::string_view sql, size_t max) {
  std::vector<std::string> words;
  size_t i = 0, n = sql.size();
  while (i < n && words.size() < max) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      if (i + 2 < n && sql[i + 2] == '!') {
        i += 3;
        while (i < n && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
      } else {
        auto end = sql.find("*/", i + 2);
        if (end == std::string_view::npos) break;
        i = end + 2;
      }
    } else if (c == '*' && i + 1 < n && sql[i + 1] == '/') {
      i += 2;  // end of an executable comment
    } else if (c == '#' || (c == '-' && i + 2 < n && sql[i + 1] == '-' &&
                            std::isspace(static_cast<unsigned char>(sql[i + 2])))) {
      auto end = sql.find('\n', i);
      if (end == std::string_view::npos) break;
      i = end + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string w;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_'))
        w += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
      words.push_back(std::move(w));
    } else {
      break;
    }
  }
  return words;
}

}  // namespace

statement_kind classify_statement(std::string_view sql) {
  auto w = leading_words(sql, 6);
  auto at = [&](size_t i) -> std::string_view { return i < w.size() ? w[i] : ""; };
  auto first = at(0);
  if (first == "BEGIN" || first == "COMMIT" || first == "ROLLBACK" || first == "XA" ||
      first == "SAVEPOINT" || first == "RELEASE" || first == "START")
    return statement_kind::transaction_control;
  if (first == "TRUNCATE") return statement_kind::truncate_table;
  if (first == "RENAME") return at(1) == "TABLE" ? statement_kind::rename_table
                                                 : statement_kind::other;
  size_t k = 1;
  if (first == "CREATE") {
    if (at(k) == "OR" && at(k + 1) == "REPLACE") k += 2;
    auto what = at(k);
    if (what == "DATABASE" || what == "SCHEMA") return statement_kind::create_database;
    if (what == "TABLE") return statement_kind::create_table;
    if (what == "INDEX" || what == "UNIQUE" || what == "FULLTEXT" || what == "SPATIAL")
      return statement_kind::create_index;
    if (what == "ONLINE" || what == "OFFLINE") {
      auto next = at(k + 1);
      if (next == "INDEX" || next == "UNIQUE" || next == "FULLTEXT" || next == "SPATIAL")
        return statement_kind::create_index;
    }
    return statement_kind::other;
  }
  if (first == "ALTER") {
    if (at(k) == "ONLINE" || at(k) == "IGNORE") ++k;
    auto what = at(k);
    if (what == "DATABASE" || what == "SCHEMA") return statement_kind::alter_database;
    if (what == "TABLE") return statement_kind::alter_table;
    return statement_kind::other;
  }
  if (first == "DROP") {
    auto what = at(k);
    if (what == "DATABASE" || what == "SCHEMA") return statement_kind::drop_database;
    if (what == "TABLE") return statement_kind::drop_table;
    if (what == "INDEX" || what == "ONLINE" || what == "OFFLINE")
      return statement_kind::drop_index;
    return statement_kind::other;
  }
  return statement_kind::other;
}

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

}  // namespace dm::sql
