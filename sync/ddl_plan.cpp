#include "sync/ddl_plan.hpp"

#include <algorithm>
#include <optional>

#include "common/ascii_case.hpp"
#include "common/error.hpp"
#include "protocol/sql/alter_parts.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

using sql::statement_kind;

ddl_plan skip(ddl_plan plan, std::string why) {
  plan.what = ddl_plan::action::skip;
  plan.reason = std::move(why);
  return plan;
}

ddl_plan fail(ddl_plan plan, std::string why) {
  plan.what = ddl_plan::action::fail;
  plan.reason = std::move(why);
  return plan;
}

std::string name_of(const sql::object_ref& ref) { return ref.db + "." + ref.table; }

// Checks the filters for one object; fills `plan` on skip or fail. `parts`: the DM event names
// of an ALTER TABLE's parts (sql/alter_parts.hpp), which filters may name too.
bool passes(table_rules& rules, const std::string& db, const std::string& table,
            statement_kind kind, const std::string& text, const std::vector<std::string>& parts,
            ddl_plan& plan) {
  std::vector<std::string_view> events{filter_event_name(kind)};
  std::string what = filter_event_name(kind);
  for (const auto& p : parts) {
    events.push_back(p);
    what += (p == parts.front() ? " (" : ", ") + p;
  }
  if (!parts.empty()) what += ")";
  std::string rule;
  switch (rules.filter(db, table, events, text, &rule)) {
    case table_rules::verdict::apply:
      return true;
    case table_rules::verdict::skip:
      plan = skip(plan, "a filter ignores " + what + " on " +
                            (table.empty() ? db : db + "." + table));
      return false;
    case table_rules::verdict::fail:
      plan = fail(plan, "filter " + rule + " makes " + what + " on " +
                            (table.empty() ? db : db + "." + table) + " an error");
      return false;
  }
  return false;
}

// "`c`=value AND ..." over the extract columns of db.table's route ("" when it has none): the
// rows of db.table in the table a route merges it into.
std::string extracted_rows(table_rules& rules, const std::string& db, const std::string& table) {
  std::string out;
  for (auto& [name, value] : rules.extracted_columns(db, table)) {
    out += out.empty() ? "" : " AND ";
    sql::append_identifier(out, name);
    out += '=';
    sql::append_string_literal(out, value, "utf8mb4");
  }
  return out;
}

// Fails a statement that would drop, empty or rename `target` (quoted) for db.table, when a route
// merges other upstream tables into it without extract columns: their rows would go too.
ddl_plan merged_table_refusal(ddl_plan plan, const char* statement, const sql::object_ref& t,
                              const std::string& target) {
  return fail(plan, std::string{statement} + " " + name_of(t) + " would act on " + target +
                        ", into which a route merges other upstream tables too, and without "
                        "extract columns the rows of " + name_of(t) + " cannot be told from "
                        "theirs; if " + target + " holds them alone, run the statement for it "
                        "with dmctl binlog replace, else skip it with dmctl binlog skip and "
                        "arrange the downstream by hand");
}

// DM's shard-mode optimistic for a schema change of one shard of a merged table, against the
// merged table's definition `before`: what a shard adds or widens is applied once, the merged
// table becoming the union of the shards' structures; what it has already is left out; what
// cannot be merged (a drop, a rename, a narrowing, a NOT NULL column without a default, a column
// another shard added with another type) stops the part, saying why. nullopt: planned as any
// other statement.
std::optional<ddl_plan> plan_merged_change(ddl_plan plan, statement_kind kind,
                                           const std::string& text, const sql::lexer_mode& mode,
                                           const sql::object_ref& t, const std::string& target,
                                           const sql::table_definition& before) {
  auto shard = name_of(t);
  auto cannot = [&](const std::string& what, const std::string& why) {
    return fail(plan, "shard " + shard + "'s " + what + " cannot be merged into " + target + ": " +
                          why + "; arrange " + target + " by hand, then skip this event with "
                          "dmctl binlog skip (or replace it)");
  };
  if (kind == statement_kind::drop_index)
    return cannot("DROP INDEX", "the other shards keep the index");
  if (kind == statement_kind::create_index) {
    auto index = sql::created_index_name(text, mode);
    if (before.indexes.count(index))
      return skip(plan, "the merged table " + target + " has index " + index +
                            " already (another shard created it)");
    return std::nullopt;
  }
  std::string kept;
  for (auto& clause : sql::alter_table_clauses(text, mode)) {
    using k = sql::alter_clause::kind;
    auto column = before.columns.find(clause.column);
    bool has_column = column != before.columns.end();
    switch (clause.what) {
      case k::add_column:
        if (!clause.type) return cannot("'" + clause.text + "'", "its type is not understood");
        if (has_column && !sql::same_declared_type(column->second, *clause.type))
          return cannot("'" + clause.text + "'", "the merged table has that column with another "
                                                 "type (another shard added it so)");
        if (has_column) continue;
        if (clause.not_null_without_default)
          return cannot("'" + clause.text + "'", "the other shards' rows would have no value "
                                                 "for a NOT NULL column without a DEFAULT");
        break;
      case k::add_index:
        if (before.indexes.count(clause.index)) continue;
        break;
      case k::modify_column:
        if (!has_column || !clause.type)
          return cannot("'" + clause.text + "'", "the merged table has no such column");
        if (sql::same_declared_type(column->second, *clause.type)) continue;
        if (!sql::same_type_family(column->second, *clause.type))
          return cannot("'" + clause.text + "'", "it changes the column's type to another kind, "
                                                 "and the other shards still write the old one");
        if (!sql::column_change_parts(column->second, *clause.type).empty())
          return cannot("'" + clause.text + "'", "it narrows the column or drops its "
                                                 "AUTO_INCREMENT, and the other shards may hold "
                                                 "values that do not fit");
        break;
      case k::table_option:
        break;
      case k::other:
        return cannot("'" + clause.text + "'", "only adding columns and indexes and widening "
                                               "columns merge (shard-mode optimistic)");
    }
    kept += (kept.empty() ? "" : ", ") + clause.text;
  }
  if (kept.empty())
    return skip(plan, "the merged table " + target + " has every change of shard " + shard +
                          "'s ALTER TABLE already (another shard made them)");
  plan.statements.push_back("ALTER TABLE " + target + " " + kept);
  plan.what = ddl_plan::action::apply;
  return plan;
}

bool has_if_not_exists(const std::string& text, size_t before) {
  return ascii_upper(text.substr(0, before)).find("EXISTS") != std::string::npos;
}

}  // namespace

const char* filter_event_name(statement_kind kind) {
  switch (kind) {
    case statement_kind::create_database: return "create database";
    case statement_kind::drop_database: return "drop database";
    case statement_kind::alter_database: return "alter database";
    case statement_kind::create_table: return "create table";
    case statement_kind::drop_table: return "drop table";
    case statement_kind::truncate_table: return "truncate table";
    case statement_kind::rename_table: return "rename table";
    case statement_kind::alter_table: return "alter table";
    case statement_kind::create_index: return "create index";
    case statement_kind::drop_index: return "drop index";
    default: return "other";
  }
}

ddl_plan plan_ddl(const std::string& text, const std::string& default_db, table_rules& rules,
                  const sql::lexer_mode& mode, const table_definitions* definitions,
                  shard_ddl shards) {
  auto ddl = sql::analyze_ddl(text, default_db, mode);
  ddl_plan plan;
  plan.kind = ddl.kind;
  std::vector<std::string> parts;
  if (shards == shard_ddl::pessimistic && !ddl.tables.empty()) {
    for (auto& named : ddl.tables) plan.tables_named.emplace_back(named.db, named.table);
    auto& t = ddl.tables.front();
    if (rules.replicated(t.db, t.table) && rules.route(t.db, t.table) &&
        rules.is_shard(t.db, t.table))
      plan.shard_table = {t.db, t.table};
  }
  // The definition downstream before the statement, when filters or merging need it.
  const sql::table_definition* before = nullptr;
  bool merges_shards = false;
  if ((ddl.kind == statement_kind::alter_table || ddl.kind == statement_kind::drop_index ||
       ddl.kind == statement_kind::create_index) &&
      !ddl.tables.empty()) {
    auto& t = ddl.tables.front();
    bool replicated = rules.replicated(t.db, t.table);
    bool merged = replicated && rules.is_shard(t.db, t.table);
    merges_shards = shards == shard_ddl::optimistic && merged;
    if (shards == shard_ddl::pessimistic && merged) {
      auto target = rules.route(t.db, t.table);
      if (!target) return fail(plan, describe(target.error()));
      plan.lock_target = sql::qualified_name(target->first, target->second);
    }
    if (replicated && (merges_shards || rules.needs_definition(t.db, t.table))) {
      auto target = rules.route(t.db, t.table);
      if (!target) return fail(plan, describe(target.error()));
      auto known = definitions ? definitions->find(*target) : table_definitions::const_iterator{};
      if (!definitions || known == definitions->end()) {
        plan.what = ddl_plan::action::describe;
        plan.described = *target;
        return plan;
      }
      before = &known->second;
    }
    if (ddl.kind == statement_kind::alter_table)
      parts = sql::alter_table_parts(text, mode, before);
    else if (ddl.kind == statement_kind::drop_index)
      parts = sql::drop_index_parts(text, mode, before);
  }
  if (!sql::is_replicated_ddl(ddl.kind))
    return skip(plan, "not a change of tables or databases");
  if (!default_db.empty() && rules.replicated(default_db, "")) {
    auto target = rules.route(default_db, "");
    if (target) plan.use_db = target->first;
  }
  auto target_name = [&](const sql::object_ref& ref) -> caf::expected<std::string> {
    auto t = rules.route(ref.db, ref.table);
    if (!t) return t.error();
    return sql::qualified_name(t->first, t->second);
  };

  // Database statements.
  if (ddl.kind == statement_kind::create_database || ddl.kind == statement_kind::drop_database ||
      ddl.kind == statement_kind::alter_database) {
    auto db = ddl.database ? ddl.database->db : default_db;
    if (db.empty() || !rules.replicated(db, ""))
      return skip(plan, "database " + db + " is not replicated");
    if (!passes(rules, db, "", ddl.kind, text, parts, plan)) return plan;
    auto target = rules.route(db, "");
    if (!target) return fail(plan, describe(target.error()));
    bool routed = target->first != db;
    // A routed database usually merges several upstream ones: dropping one of them must not
    // drop the others' data, and each of them creates it.
    if (routed && ddl.kind == statement_kind::drop_database)
      return skip(plan, "database " + db + " is routed to " + target->first +
                            ", which may hold other databases' tables; drop it by hand");
    std::string quoted;
    if (routed && ddl.kind == statement_kind::create_database && ddl.database &&
        !has_if_not_exists(text, ddl.database->begin))
      quoted = "IF NOT EXISTS ";
    sql::append_identifier(quoted, target->first);
    plan.statements.push_back(ddl.database ? sql::rewrite(text, {{*ddl.database, quoted}}) : text);
    if (!ddl.database) plan.use_db = target->first;
    plan.what = ddl_plan::action::apply;
    return plan;
  }

  if (ddl.kind == statement_kind::drop_table) {
    std::string targets;
    std::vector<std::string> merged_rows;
    for (auto& t : ddl.tables) {
      if (!rules.replicated(t.db, t.table)) continue;
      ddl_plan probe = plan;
      if (!passes(rules, t.db, t.table, ddl.kind, text, parts, probe)) {
        if (probe.what == ddl_plan::action::fail) return probe;
        continue;
      }
      auto name = target_name(t);
      if (!name) return fail(plan, describe(name.error()));
      // A table merged with extract columns: its rows go, the merged table stays.
      if (auto rows = extracted_rows(rules, t.db, t.table); !rows.empty())
        merged_rows.push_back("DELETE FROM " + *name + " WHERE " + rows);
      else if (rules.merges(t.db, t.table))
        return merged_table_refusal(plan, "DROP TABLE", t, *name);
      else
        targets += (targets.empty() ? "" : ", ") + *name;
    }
    if (targets.empty() && merged_rows.empty())
      return skip(plan, "no table it drops is replicated");
    if (!targets.empty()) plan.statements.push_back("DROP TABLE IF EXISTS " + targets);
    plan.statements.insert(plan.statements.end(), merged_rows.begin(), merged_rows.end());
    plan.what = ddl_plan::action::apply;
    return plan;
  }

  if (ddl.kind == statement_kind::rename_table) {
    std::string pairs;
    for (size_t i = 0; i + 1 < ddl.tables.size(); i += 2) {
      auto& from = ddl.tables[i];
      auto& to = ddl.tables[i + 1];
      bool a = rules.replicated(from.db, from.table), b = rules.replicated(to.db, to.table);
      if (!a && !b) continue;
      if (a != b)
        return fail(plan, "RENAME TABLE " + name_of(from) + " TO " + name_of(to) +
                              " moves a table between the replicated and the filtered ones; "
                              "skip it with handle-error once the downstream is arranged");
      if (!passes(rules, from.db, from.table, ddl.kind, text, parts, plan)) {
        if (plan.what == ddl_plan::action::fail) return plan;
        continue;
      }
      auto f = target_name(from), t = target_name(to);
      if (!f || !t) return fail(plan, describe(f ? t.error() : f.error()));
      if (!extracted_rows(rules, from.db, from.table).empty() ||
          !extracted_rows(rules, to.db, to.table).empty() || rules.merges(from.db, from.table) ||
          rules.merges(to.db, to.table))
        return fail(plan, "RENAME TABLE " + name_of(from) + " TO " + name_of(to) +
                              " renames a table a route merges others into; arrange the "
                              "downstream by hand, then skip this event with dmctl binlog "
                              "skip");
      pairs += (pairs.empty() ? "" : ", ") + *f + " TO " + *t;
    }
    if (pairs.empty()) return skip(plan, "no table it renames is replicated");
    plan.statements.push_back("RENAME TABLE " + pairs);
    plan.what = ddl_plan::action::apply;
    return plan;
  }

  // One table changed (with perhaps a second one named: LIKE source, RENAME target).
  auto& primary = ddl.tables.front();
  if (!rules.replicated(primary.db, primary.table))
    return skip(plan, "table " + name_of(primary) + " is not replicated");
  if (!passes(rules, primary.db, primary.table, ddl.kind, text, parts, plan)) return plan;
  // A table a route merges others into: TRUNCATE empties only its rows when extract columns
  // tell them apart, else it cannot run; a rename cannot be placed in the merged table.
  auto rows = extracted_rows(rules, primary.db, primary.table);
  if (!rows.empty() || rules.merges(primary.db, primary.table)) {
    if (ddl.kind == statement_kind::truncate_table) {
      auto name = target_name(primary);
      if (!name) return fail(plan, describe(name.error()));
      if (rows.empty()) return merged_table_refusal(plan, "TRUNCATE TABLE", primary, *name);
      plan.statements.push_back("DELETE FROM " + *name + " WHERE " + rows);
      plan.what = ddl_plan::action::apply;
      return plan;
    }
    if (ddl.kind == statement_kind::alter_table && ddl.tables.size() > 1)
      return fail(plan, "ALTER TABLE " + name_of(primary) + " renames a table a route merges "
                        "others into; arrange the downstream by hand, then skip this event with "
                        "dmctl binlog skip");
  }
  if (merges_shards && before && !before->columns.empty()) {
    auto name = target_name(primary);
    if (!name) return fail(plan, describe(name.error()));
    plan.merges_shards = true;
    if (auto merged = plan_merged_change(plan, ddl.kind, text, mode, primary, *name, *before))
      return *merged;
  }
  std::vector<std::pair<sql::object_ref, std::string>> replacements;
  for (size_t i = 0; i < ddl.tables.size(); ++i) {
    auto name = target_name(ddl.tables[i]);
    if (!name) return fail(plan, describe(name.error()));
    auto routed = *name != sql::qualified_name(ddl.tables[i].db, ddl.tables[i].table);
    // Several upstream tables may route to one: the first CREATE makes it, the others find it.
    if (i == 0 && routed && ddl.kind == statement_kind::create_table &&
        !has_if_not_exists(text, ddl.tables[i].begin))
      *name = "IF NOT EXISTS " + *name;
    replacements.emplace_back(ddl.tables[i], *name);
  }
  plan.statements.push_back(sql::rewrite(text, replacements));
  plan.what = ddl_plan::action::apply;
  return plan;
}

}  // namespace dm
