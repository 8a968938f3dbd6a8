#include "protocol/sql/grants.hpp"

#include <cctype>

#include "common/ascii_case.hpp"
#include "protocol/sql/lexer.hpp"

namespace dm::sql {

namespace {

// An object name token's text: quoted identifiers and strings unquoted, `*` as is.
std::string object_name(const token& t) {
  if (t.type == token::kind::string && t.text.size() >= 2) return t.text.substr(1, t.text.size() - 2);
  return t.text;
}

bool like(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  char p = pattern.front();
  if (p == '%') {
    for (size_t skip = 0; skip <= text.size(); ++skip)
      if (like(pattern.substr(1), text.substr(skip))) return true;
    return false;
  }
  if (text.empty()) return false;
  if (p == '\\' && pattern.size() > 1)
    return pattern[1] == text.front() && like(pattern.substr(2), text.substr(1));
  if (p == '_' || p == text.front()) return like(pattern.substr(1), text.substr(1));
  return false;
}

}  // namespace

std::optional<grant_line> parse_grant(std::string_view line) {
  auto tokens = tokenize(line);
  if (tokens.empty() || !tokens[0].is_keyword("GRANT")) return std::nullopt;
  grant_line out;
  size_t i = 1;
  std::string privilege;
  bool is_role_grant = true;
  auto flush = [&] {
    if (!privilege.empty()) out.privileges.insert(privilege == "ALL PRIVILEGES" ? "ALL" : privilege);
    privilege.clear();
  };
  for (; i < tokens.size(); ++i) {
    auto& t = tokens[i];
    if (t.is_keyword("ON")) {
      is_role_grant = false;
      break;
    }
    if (t.is_keyword("TO")) break;
    if (t.is(',')) {
      flush();
    } else if (t.is('(')) {
      // A column list: this privilege covers columns only.
      while (i < tokens.size() && !tokens[i].is(')')) ++i;
      privilege.clear();
    } else if (t.type == token::kind::word) {
      privilege += (privilege.empty() ? "" : " ") + ascii_upper(t.text);
    } else if (t.type == token::kind::quoted_identifier || t.type == token::kind::string) {
      out.roles.push_back(t.text);
      // A role may carry a host in MySQL ("`r`@`%`"); the name is what matters.
      if (i + 2 < tokens.size() && tokens[i + 1].is('@')) i += 2;
    }
  }
  flush();
  if (i == tokens.size()) return std::nullopt;
  if (is_role_grant) {
    // GRANT role TO ...: role names may also be plain words.
    for (auto& p : out.privileges) out.roles.push_back(p);
    out.privileges.clear();
    if (out.roles.empty()) return std::nullopt;
    return out;
  }
  out.roles.clear();
  // ON [TABLE] db.table | ON *.* | ON * | ON table
  ++i;
  if (i < tokens.size() && (tokens[i].is_keyword("FUNCTION") ||
                            tokens[i].is_keyword("PROCEDURE") || tokens[i].is_keyword("PACKAGE")))
    return std::nullopt;
  if (i < tokens.size() && tokens[i].is_keyword("TABLE")) ++i;
  if (i >= tokens.size()) return std::nullopt;
  if (out.privileges.count("PROXY")) return std::nullopt;
  auto first = object_name(tokens[i]);
  if (i + 2 < tokens.size() && tokens[i + 1].is('.')) {
    out.db = first;
    out.table = object_name(tokens[i + 2]);
  } else {
    out.db = "*";
    out.table = first;
  }
  return out;
}

bool database_pattern_matches(std::string_view pattern, std::string_view db) {
  return like(pattern, db);
}

bool grants_privilege(const std::vector<grant_line>& grants, std::string_view privilege,
                      std::string_view db) {
  auto gives = [&](const grant_line& g) {
    if (g.privileges.count("ALL") || g.privileges.count(std::string{privilege})) return true;
    if (privilege == "REPLICATION CLIENT") return g.privileges.count("BINLOG MONITOR") > 0;
    if (privilege == "BINLOG MONITOR") return g.privileges.count("REPLICATION CLIENT") > 0;
    return false;
  };
  for (auto& g : grants) {
    if (g.table != "*" || !gives(g)) continue;
    if (g.db == "*") return true;
    if (!db.empty() && database_pattern_matches(g.db, db)) return true;
  }
  return false;
}

}  // namespace dm::sql
