#include "sync/table_rules.hpp"

#include <algorithm>
#include <cctype>

#include "common/ascii_case.hpp"
#include "common/error.hpp"
#include "protocol/sql/alter_parts.hpp"

namespace dm {

namespace {

// Glob match with * (any run), ? (one character) and [...] (a class, ! or ^ negates).
bool glob(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  auto class_match = [&](size_t& at, char c) {
    size_t j = at + 1;
    bool negate = j < p.size() && (p[j] == '!' || p[j] == '^');
    if (negate) ++j;
    bool hit = false;
    size_t start = j;
    for (; j < p.size() && (p[j] != ']' || j == start); ++j) {
      if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
        hit |= c >= p[j] && c <= p[j + 2];
        j += 2;
      } else {
        hit |= p[j] == c;
      }
    }
    at = j < p.size() ? j + 1 : j;
    return hit != negate;
  };
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
      continue;
    }
    if (pi < p.size() && p[pi] == '[') {
      size_t next = pi;
      if (class_match(next, s[si])) {
        pi = next;
        ++si;
        continue;
      }
    } else if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
      continue;
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    si = ++mark;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool is_system_db(const std::string& db) {
  auto d = ascii_lower(db);
  return d == "mysql" || d == "information_schema" || d == "performance_schema" || d == "sys";
}

const char* dml_events[] = {"insert", "update", "delete"};
const char* ddl_events[] = {"create database", "drop database", "alter database",
                            "create table",    "drop table",    "truncate table",
                            "rename table",    "alter table",   "create index",
                            "drop index"};
// Statements that are never replicated (views are skipped as a whole), so a filter naming them
// has nothing to decide; DM knows the names.
const char* never_replicated_events[] = {"create view", "drop view"};

bool in(const char* const* list, size_t n, std::string_view e) {
  return std::any_of(list, list + n, [&](const char* x) { return e == x; });
}

// DM's names for parts of an ALTER TABLE that protocol/sql/alter_parts names (TiDB-only ones
// included: they never occur, and a filter naming them has nothing to decide).
const char* alter_parts[] = {
    "add column", "drop column", "modify column", "rename column", "rename index", "drop index",
    "add primary key", "drop primary key", "add foreign key", "drop foreign key",
    "modify default value", "set default value", "modify constraint", "modify columns order",
    "modify charset", "modify collation", "modify storage engine", "modify table comment",
    "modify table charset and collate", "modify schema charset and collate", "rebase auto id",
    "alter index visibility", "add table partition", "drop table partition",
    "truncate table partition", "reorganize table partition", "rebuild table partition",
    "coalesce table partition", "exchange table partition", "split table partition",
    "alter table partitioning", "remove table partitioning", "multi schema change",
    "incompatible ddl changes", "recover table", "alter ttl info", "alter ttl remove",
    "value range decrease", "precision decrease", "drop unique key", "remove auto increment"};
constexpr size_t alter_part_count = sizeof alter_parts / sizeof alter_parts[0];
// The parts named only with the table's old definition (protocol/sql/column_changes.hpp).
const char* definition_parts[] = {"value range decrease", "precision decrease",
                                  "drop unique key", "remove auto increment"};

bool event_matches(const std::string& rule_event, std::string_view event) {
  if (rule_event == "all") return true;
  bool dml = in(dml_events, 3, event);
  if (rule_event == "all dml") return dml;
  if (rule_event == "all ddl") return !dml;
  if (rule_event == "incompatible ddl changes") return sql::is_incompatible_part(event);
  if (rule_event == "set default value") return event == "modify default value";
  return rule_event == event;
}

}  // namespace

const char* event_groups[] = {"all", "all dml", "all ddl", "none", "none dml", "none ddl"};

std::string canonical_event_name(const std::string& name) {
  auto out = ascii_lower(name);
  if (auto at = out.find(" schema"); at != std::string::npos && at + 7 == out.size())
    out = out.substr(0, at) + " database";
  return out;
}

bool is_filter_event_name(const std::string& name) {
  return in(event_groups, 6, name) || in(dml_events, 3, name) || in(ddl_events, 10, name) ||
         in(never_replicated_events, 2, name) || in(alter_parts, alter_part_count, name);
}

std::string filter_event_names() {
  std::string out;
  auto add = [&](const char* const* list, size_t n) {
    for (size_t i = 0; i < n; ++i) out += (out.empty() ? "" : ", ") + std::string{list[i]};
  };
  add(event_groups, 6);
  add(dml_events, 3);
  add(ddl_events, 10);
  add(never_replicated_events, 2);
  add(alter_parts, alter_part_count);
  return out;
}

caf::expected<name_pattern> name_pattern::compile(const std::string& text,
                                                  const std::string& where,
                                                  bool case_sensitive) {
  name_pattern p;
  if (text.empty() || text == "*") return p;
  p.any_ = false;
  p.case_sensitive_ = case_sensitive;
  if (text[0] == '~') {
    auto flags = std::regex::ECMAScript | std::regex::optimize;
    if (!case_sensitive) flags |= std::regex::icase;
    try {
      p.regex_ = std::make_shared<std::regex>(text.substr(1), flags);
    } catch (const std::regex_error& e) {
      return make_error(ec::invalid_config, where + ": '" + text.substr(1) +
                                                "' is not a valid regular expression (" +
                                                e.what() + ")");
    }
  } else {
    p.wildcard_ = case_sensitive ? text : ascii_lower(text);
  }
  return p;
}

bool name_pattern::matches(std::string_view name) const {
  if (any_) return true;
  if (regex_) return std::regex_search(name.begin(), name.end(), *regex_);
  return glob(wildcard_, case_sensitive_ ? std::string{name} : ascii_lower(name));
}

bool name_pattern::is_literal() const {
  return !any_ && !regex_ && wildcard_.find_first_of("*?[") == std::string::npos;
}

caf::expected<table_rules> table_rules::compile(const mysql_instance& inst,
                                                const std::vector<filter_rule>& source_filters,
                                                bool source_case_sensitive) {
  table_rules out;
  out.source_id_ = inst.source_id;
  auto where = "mysql-instances of source " + inst.source_id;
  auto exact_pattern = [&](const std::string& text, const std::string& what,
                           bool case_sensitive) {
    return name_pattern::compile(text, where + ", " + what, case_sensitive);
  };
  auto pattern = [&](const std::string& text, const std::string& what) {
    return exact_pattern(text, what, inst.case_sensitive);
  };
  for (auto& d : inst.block_allow.do_dbs) {
    auto p = pattern(d, "block-allow-list do-dbs");
    if (!p) return p.error();
    out.ba_.do_dbs.push_back(*p);
  }
  for (auto& d : inst.block_allow.ignore_dbs) {
    auto p = pattern(d, "block-allow-list ignore-dbs");
    if (!p) return p.error();
    out.ba_.ignore_dbs.push_back(*p);
  }
  for (auto* list : {&inst.block_allow.do_tables, &inst.block_allow.ignore_tables}) {
    for (auto& t : *list) {
      auto d = pattern(t.db, "block-allow-list db-name");
      auto n = pattern(t.table, "block-allow-list tbl-name");
      if (!d) return d.error();
      if (!n) return n.error();
      (list == &inst.block_allow.do_tables ? out.ba_.do_tables : out.ba_.ignore_tables)
          .emplace_back(*d, *n);
    }
  }
  for (auto& r : inst.routes) {
    compiled_route c;
    auto s = pattern(r.schema_pattern, "routes schema-pattern");
    auto t = pattern(r.table_pattern, "routes table-pattern");
    if (!s) return s.error();
    if (!t) return t.error();
    c.schema = *s;
    c.table = *t;
    c.has_table = !r.table_pattern.empty();
    c.schema_text = r.schema_pattern;
    c.target_schema = r.target_schema;
    c.target_table = r.target_table;
    const std::pair<const extract_rule*, const char*> extracts[] = {
        {&r.extract_table, "extract-table"},
        {&r.extract_schema, "extract-schema"},
        {&r.extract_source, "extract-source"}};
    for (size_t i = 0; i < 3; ++i) {
      auto& [rule, key] = extracts[i];
      c.extracts[i].key = key;
      c.extracts[i].column = rule->column;
      if (rule->regexp.empty()) continue;
      try {
        c.extracts[i].regexp = std::make_shared<std::regex>(rule->regexp, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return make_error(ec::invalid_config, std::string{"routes "} + key + ": '" +
                                                  rule->regexp +
                                                  "' is not a valid regular expression (" +
                                                  e.what() + ")");
      }
    }
    out.routes_.push_back(std::move(c));
  }
  for (auto& a : out.routes_)
    for (auto& b : out.routes_)
      if (&a != &b && ascii_lower(a.target_schema) == ascii_lower(b.target_schema) &&
          (a.target_table.empty() || b.target_table.empty() ||
           ascii_lower(a.target_table) == ascii_lower(b.target_table)) &&
          !(a.schema_text == b.schema_text && a.target_table.empty() && b.target_table.empty()))
        a.shares_target = true;
  std::vector<filter_rule> filters = source_filters;
  filters.insert(filters.end(), inst.filters.begin(), inst.filters.end());
  for (size_t i = 0; i < filters.size(); ++i) {
    auto& f = filters[i];
    bool exact = i < source_filters.size() ? source_case_sensitive : inst.case_sensitive;
    compiled_filter c;
    c.name = f.name;
    auto s = exact_pattern(f.schema_pattern, "filter " + f.name + " schema-pattern", exact);
    auto t = exact_pattern(f.table_pattern, "filter " + f.name + " table-pattern", exact);
    if (!s) return s.error();
    if (!t) return t.error();
    c.schema = *s;
    c.table = *t;
    c.has_table = !f.table_pattern.empty();
    for (auto& e : f.events) {
      auto name = canonical_event_name(e);
      if (!is_filter_event_name(name))
        return make_error(ec::invalid_config, where + ", filter " + f.name + ": '" + e +
                                                  "' is not an event name DM filters know");
      if (name.rfind("none", 0) != 0) c.events.push_back(name);
    }
    for (auto& sql : f.sql_patterns) {
      try {
        c.sql.emplace_back(sql, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        return make_error(ec::invalid_config, where + ", filter " + f.name + ": sql-pattern '" +
                                                  sql + "' is not a valid regular expression");
      }
    }
    auto action = ascii_lower(f.action);
    if (action == "ignore") c.what = compiled_filter::action::ignore;
    else if (action == "do") c.what = compiled_filter::action::do_;
    else if (action == "error") c.what = compiled_filter::action::error;
    else
      return make_error(ec::invalid_config, where + ", filter " + f.name +
                                                ": action must be Ignore, Do or Error, got '" +
                                                f.action + "'");
    out.filters_.push_back(std::move(c));
  }
  return out;
}

const table_rules::decision& table_rules::decide(const std::string& db, const std::string& table) {
  auto key = db + '\0' + table;
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  decision d;
  // Block-allow list: database level first, then table level (DM's order).
  bool pass = !is_system_db(db);
  if (pass && !ba_.do_dbs.empty())
    pass = std::any_of(ba_.do_dbs.begin(), ba_.do_dbs.end(),
                       [&](const name_pattern& p) { return p.matches(db); });
  else if (pass && !ba_.ignore_dbs.empty())
    pass = std::none_of(ba_.ignore_dbs.begin(), ba_.ignore_dbs.end(),
                        [&](const name_pattern& p) { return p.matches(db); });
  if (pass && !table.empty()) {
    auto hit = [&](const std::pair<name_pattern, name_pattern>& p) {
      return p.first.matches(db) && p.second.matches(table);
    };
    if (!ba_.do_tables.empty())
      pass = std::any_of(ba_.do_tables.begin(), ba_.do_tables.end(), hit);
    else if (!ba_.ignore_tables.empty())
      pass = std::none_of(ba_.ignore_tables.begin(), ba_.ignore_tables.end(), hit);
  }
  d.replicated = pass;
  // Routes: a table rule wins over a schema rule; two table rules are ambiguous.
  const compiled_route* by_table = nullptr;
  const compiled_route* by_schema = nullptr;
  bool ambiguous = false;
  for (auto& r : routes_) {
    if (!r.schema.matches(db)) continue;
    if (r.has_table) {
      if (table.empty() || !r.table.matches(table)) continue;
      if (by_table) ambiguous = true;
      by_table = &r;
    } else if (!by_schema) {
      by_schema = &r;
    }
  }
  if (ambiguous)
    d.target = make_error(ec::invalid_config,
                          "table " + db + "." + table + " matches more than one route rule");
  else if (by_table && !extract(*by_table, db, table, d))
    ;  // d.target holds the error
  else if (by_table) {
    d.target = std::make_pair(by_table->target_schema,
                              by_table->target_table.empty() ? table : by_table->target_table);
    d.merges = by_table->shares_target || !by_table->schema.is_literal() ||
               (!by_table->target_table.empty() && !by_table->table.is_literal());
  }
  else if (by_schema && !extract(*by_schema, db, table, d))
    ;  // d.target holds the error
  else if (by_schema) {
    d.target = std::make_pair(by_schema->target_schema, table);
    d.merges = by_schema->shares_target || !by_schema->schema.is_literal();
  }
  else
    d.target = std::make_pair(db, table);
  for (auto& f : filters_)
    if (f.schema.matches(db) && (!f.has_table || (!table.empty() && f.table.matches(table)))) {
      d.filters.push_back(&f);
      d.needs_definition |= std::any_of(f.events.begin(), f.events.end(),
                                        [](const std::string& e) {
                                          return in(definition_parts,
                                                    std::size(definition_parts), e);
                                        });
    }
  return cache_.emplace(std::move(key), std::move(d)).first->second;
}

bool table_rules::extract(const compiled_route& route, const std::string& db,
                          const std::string& table, decision& d) const {
  const std::string* names[] = {&table, &db, &source_id_};
  for (size_t i = 0; i < 3; ++i) {
    const auto& e = route.extracts[i];
    if (!e.regexp) continue;
    // A database's own decision (table empty) carries no row values.
    if (i == 0 && table.empty()) continue;
    std::smatch m;
    if (!std::regex_search(*names[i], m, *e.regexp)) {
      d.target = make_error(ec::invalid_config,
                            "table " + db + "." + table + ": the " + e.key +
                                " regexp of its route does not match '" + *names[i] +
                                "', so column " + e.column +
                                " would have no value; change the route's regexp");
      d.extracted.clear();
      return false;
    }
    std::string value;
    for (size_t g = 1; g < m.size(); ++g) value += m[g].str();
    if (m.size() == 1) value = m[0].str();
    d.extracted.emplace_back(e.column, std::move(value));
  }
  return true;
}

const std::vector<std::pair<std::string, std::string>>& table_rules::extracted_columns(
    const std::string& db, const std::string& table) {
  return decide(db, table).extracted;
}

bool table_rules::merges(const std::string& db, const std::string& table) {
  return decide(db, table).merges;
}

bool table_rules::needs_definition(const std::string& db, const std::string& table) {
  return decide(db, table).needs_definition;
}

bool table_rules::replicated(const std::string& db, const std::string& table) {
  return decide(db, table).replicated;
}

caf::expected<std::pair<std::string, std::string>> table_rules::route(const std::string& db,
                                                                      const std::string& table) {
  return decide(db, table).target;
}

table_rules::verdict table_rules::filter(const std::string& db, const std::string& table,
                                         std::string_view event, std::string_view sql,
                                         std::string* rule) {
  return filter(db, table, std::vector<std::string_view>{event}, sql, rule);
}

table_rules::verdict table_rules::filter(const std::string& db, const std::string& table,
                                         const std::vector<std::string_view>& events,
                                         std::string_view sql, std::string* rule) {
  const auto& d = decide(db, table);
  bool has_do = false, do_matched = false;
  for (auto* f : d.filters) {
    bool matched = std::any_of(f->events.begin(), f->events.end(), [&](const std::string& e) {
      return std::any_of(events.begin(), events.end(),
                         [&](std::string_view event) { return event_matches(e, event); });
    });
    if (!matched && !sql.empty())
      matched = std::any_of(f->sql.begin(), f->sql.end(), [&](const std::regex& r) {
        return std::regex_search(sql.begin(), sql.end(), r);
      });
    switch (f->what) {
      case compiled_filter::action::ignore:
        if (matched) return verdict::skip;
        break;
      case compiled_filter::action::error:
        if (matched) {
          if (rule) *rule = f->name;
          return verdict::fail;
        }
        break;
      case compiled_filter::action::do_:
        has_do = true;
        do_matched |= matched;
        break;
    }
  }
  return has_do && !do_matched ? verdict::skip : verdict::apply;
}

}  // namespace dm
