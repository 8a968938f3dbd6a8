// A task's rules for one source, compiled: which tables it replicates (block-allow list), where
// their changes go (routes), and which events it ignores, keeps or fails on (filters). Pure
// logic, no CAF; decisions are cached per table, so the hot path is one hash lookup.
//
// Semantics follow DM: names match case-insensitively (exactly with case-sensitive); patterns are wildcards (* ? [..]) or,
// with a leading ~, regular expressions searched in the name; filter events are DM's names,
// the parts of an ALTER TABLE included (protocol/sql/alter_parts.hpp). System databases are
// never replicated.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "model/config.hpp"

namespace dm {

// A database or table name pattern, compiled.
class name_pattern {
 public:
  // Fails with ec::invalid_config on an invalid regular expression, naming `where`.
  // `case_sensitive`: names must match exactly (default: regardless of case).
  static caf::expected<name_pattern> compile(const std::string& text, const std::string& where,
                                             bool case_sensitive = false);
  // Matches anything (an empty pattern).
  name_pattern() = default;

  bool matches(std::string_view name) const;
  // Whether it matches one name only (no wildcard, not a regular expression).
  bool is_literal() const;

 private:
  bool any_ = true;
  bool case_sensitive_ = false;
  std::string wildcard_;
  std::shared_ptr<std::regex> regex_;
};

class table_rules {
 public:
  enum class verdict { apply, skip, fail };

  // Fails with a one-line error naming the rule for invalid patterns or event names.
  // `source_filters` (the source config's own, DM's source `filters`) come before the
  // instance's; they match names exactly when `source_case_sensitive`, the instance's rules
  // when instance.case_sensitive.
  static caf::expected<table_rules> compile(const mysql_instance& instance,
                                            const std::vector<filter_rule>& source_filters = {},
                                            bool source_case_sensitive = false);

  // Whether changes to db.table (table empty: the database itself) are replicated.
  bool replicated(const std::string& db, const std::string& table);

  // Where db.table's changes go: (target db, target table). Fails when two table routes match,
  // or when an extract regexp of its route does not match the name it reads.
  caf::expected<std::pair<std::string, std::string>> route(const std::string& db,
                                                           const std::string& table);
  // Whether db.table's route may bring other upstream tables into its target: its schema
  // pattern, or the table pattern of a route naming the target table, matches more than one
  // name, or another route of these rules writes into the same target (a shard merge). Other
  // sources' routes are not seen. REQUIRES: route(db, table) succeeded.
  bool merges(const std::string& db, const std::string& table);
  // The columns its route's extract-table/-schema/-source add to every row of db.table
  // downstream, with their values (column, value); empty when the route extracts nothing.
  // REQUIRES: route(db, table) succeeded.
  const std::vector<std::pair<std::string, std::string>>& extracted_columns(
      const std::string& db, const std::string& table);
  // Whether db.table is a shard merged into one table with others: its route merges, or
  // writes extract columns. REQUIRES: route(db, table) succeeded.
  bool is_shard(const std::string& db, const std::string& table) {
    return merges(db, table) || !extracted_columns(db, table).empty();
  }

  // Whether a filter of db.table names a part of ALTER TABLE told only with the table's
  // definition before the statement ("value range decrease", ...; protocol/sql/
  // column_changes.hpp): its schema changes are then planned with that definition.
  bool needs_definition(const std::string& db, const std::string& table);

  // The filters' verdict on an event of kind `event` ("insert", "drop table", ...) on db.table
  // (table empty for database events), with the statement text for sql-pattern (empty for
  // row events). On fail, `rule` names the filter.
  verdict filter(const std::string& db, const std::string& table, std::string_view event,
                 std::string_view sql, std::string* rule = nullptr);
  // The same for a statement that is several events at once (an ALTER TABLE and its parts,
  // protocol/sql/alter_parts.hpp): a rule matches when it names any of them.
  verdict filter(const std::string& db, const std::string& table,
                 const std::vector<std::string_view>& events, std::string_view sql,
                 std::string* rule = nullptr);

 private:
  struct compiled_ba {
    std::vector<name_pattern> do_dbs, ignore_dbs;
    std::vector<std::pair<name_pattern, name_pattern>> do_tables, ignore_tables;
  };
  struct compiled_extract {
    std::shared_ptr<std::regex> regexp;
    std::string column;
    const char* key;  // extract-table, ...
  };
  struct compiled_route {
    name_pattern schema, table;
    bool has_table = false;
    std::string target_schema, target_table;
    // Of the table name, the database name, the source id, in that order; regexp null when unused.
    compiled_extract extracts[3];
    // Another route may write other tables into the same target table (same target schema,
    // and the same target table or one keeping the names it reads; two routes reading the same
    // schema pattern and both keeping table names map each table to itself).
    std::string schema_text;
    bool shares_target = false;
  };
  struct compiled_filter {
    std::string name;
    name_pattern schema, table;
    bool has_table = false;
    std::vector<std::string> events;
    std::vector<std::regex> sql;
    enum class action { ignore, do_, error } what = action::ignore;
  };
  struct decision {
    bool replicated = false;
    caf::expected<std::pair<std::string, std::string>> target{caf::error{}};
    std::vector<std::pair<std::string, std::string>> extracted;
    std::vector<const compiled_filter*> filters;
    bool needs_definition = false;
    bool merges = false;
  };
  const decision& decide(const std::string& db, const std::string& table);
  // Fills d.extracted from `route`'s extract rules; false (d.target holding the error) when a
  // regexp does not match the name it reads.
  bool extract(const compiled_route& route, const std::string& db, const std::string& table,
               decision& d) const;

  compiled_ba ba_;
  std::string source_id_;
  std::vector<compiled_route> routes_;
  std::vector<compiled_filter> filters_;
  std::unordered_map<std::string, decision> cache_;
};

// DM's spelling of an event name made canonical: lower case, "create schema" as "create
// database" (DM's aliases).
std::string canonical_event_name(const std::string& name);
// The DM event names filters accept (canonical).
bool is_filter_event_name(const std::string& name);
// The same, comma-separated, for messages.
std::string filter_event_names();

}  // namespace dm
