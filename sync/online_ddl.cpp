#include "sync/online_ddl.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

using sql::statement_kind;

caf::expected<std::vector<std::regex>> compile_all(const std::vector<std::string>& texts,
                                                   const char* key, bool needs_group) {
  std::vector<std::regex> out;
  for (auto& text : texts) {
    try {
      out.emplace_back(text, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return make_error(ec::invalid_config, std::string{key} + ": '" + text +
                                                "' is not a valid regular expression (" +
                                                e.what() + ")");
    }
    if (needs_group && out.back().mark_count() < 1)
      return make_error(ec::invalid_config,
                        std::string{key} + ": '" + text +
                            "' has no group capturing the real table's name; write it as "
                            "^_(.+)_new$ does");
  }
  return out;
}

std::string name_of(const sql::object_ref& ref) { return ref.db + "." + ref.table; }

// `text` with the span of `ref` naming db.table instead.
std::string renamed(std::string_view text, const sql::object_ref& ref, const std::string& table) {
  return sql::rewrite(text, {{ref, sql::qualified_name(ref.db, table)}});
}

// A RENAME TABLE of `refs` (old, new, old, new, ...) or a DROP TABLE of them.
std::string statement_for(statement_kind kind, const std::vector<sql::object_ref>& refs) {
  std::string out = kind == statement_kind::rename_table ? "RENAME TABLE " : "DROP TABLE ";
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i > 0) out += kind == statement_kind::rename_table && i % 2 ? " TO " : ", ";
    out += sql::qualified_name(refs[i].db, refs[i].table);
  }
  return out;
}

std::string unknown_change(const std::string& db, const std::string& real,
                           const std::string& shadow) {
  return "the online schema change of " + db + "." + real + " began before this task's start " +
         "position (its shadow table " + db + "." + shadow + " was created earlier), so the " +
         "change it makes is unknown here: make the same change to the downstream table by " +
         "hand, then skip this event with dmctl binlog skip";
}

// A statement about one table (CREATE, ALTER, TRUNCATE, CREATE/DROP INDEX) of a shadow or trash
// table.
online_ddl_step plan_one_table(const sql::ddl_statement& ddl, std::string_view text,
                               const std::string& default_db, const sql::lexer_mode& mode,
                               const relay_key& at, const online_ddl_rules& online,
                               table_rules& rules, const shadow_migrations& migrations) {
  online_ddl_step step;
  const auto& table = ddl.tables.front();
  if (!online.is_helper(table.table)) return step;
  step.handled = true;
  auto real = online.real_of_shadow(table.table);
  if (!real) {
    step.skip_reason = name_of(table) + " is the trash table of an online schema change";
    return step;
  }
  if (!rules.replicated(table.db, *real)) {
    step.skip_reason = name_of(table) + " is the shadow of " + table.db + "." + *real +
                       ", which is not replicated";
    return step;
  }
  auto key = shadow_key(table.db, table.table);
  auto found = migrations.find(key);
  switch (ddl.kind) {
    case statement_kind::create_table:
      // A new migration (a replay of its CREATE starts the record over).
      step.record = shadow_migration{table.db, table.table, *real, true, {}};
      return step;
    case statement_kind::alter_table:
    case statement_kind::create_index:
    case statement_kind::drop_index: {
      if (ddl.kind == statement_kind::alter_table && ddl.tables.size() > 1) {
        step.fail_reason = "an ALTER TABLE renames the shadow table " + name_of(table) +
                           " of an online schema change and changes it too; do the change "
                           "by hand downstream, then skip this event with dmctl binlog skip";
        return step;
      }
      auto m = found != migrations.end() ? found->second
                                         : shadow_migration{table.db, table.table, *real, false,
                                                            {}};
      recorded_alter change{at, renamed(text, table, *real), default_db, mode, {}};
      auto place = std::find_if(m.alters.begin(), m.alters.end(),
                                [&](const recorded_alter& a) { return !(a.at < at); });
      if (place != m.alters.end() && place->at == at)
        *place = std::move(change);
      else
        m.alters.insert(place, std::move(change));
      step.record = std::move(m);
      return step;
    }
    default:
      step.skip_reason = name_of(table) + " is the shadow table of an online schema change";
      return step;
  }
}

// The complete migration whose real table is db.table, if any.
const shadow_migration* migration_of_real(const shadow_migrations& migrations,
                                          const std::string& db, const std::string& table) {
  for (auto& [key, m] : migrations)
    if (m.complete && m.db == db && m.real == table) return &m;
  return nullptr;
}

online_ddl_step plan_drop(const sql::ddl_statement& ddl, const online_ddl_rules& online,
                          const shadow_migrations& migrations) {
  online_ddl_step step;
  std::vector<sql::object_ref> others;
  for (auto& t : ddl.tables) {
    if (!online.is_helper(t.table)) {
      // pt-online-schema-change's drop_swap drops the real table, then renames the shadow
      // into its place: the downstream table stays for the swap to alter.
      if (auto* m = migration_of_real(migrations, t.db, t.table)) {
        if (ddl.tables.size() > 1) {
          step.handled = true;
          step.fail_reason = "a DROP TABLE of several tables drops " + name_of(t) +
                             " while an online schema change of it is in progress; drop the "
                             "tables downstream by hand, then skip this event with dmctl "
                             "binlog skip";
          return step;
        }
        step.handled = true;
        auto kept = *m;
        kept.real_dropped = true;
        step.record = std::move(kept);
        return step;
      }
      others.push_back(t);
      continue;
    }
    step.handled = true;
    auto key = shadow_key(t.db, t.table);
    auto found = migrations.find(key);
    if (found == migrations.end()) continue;
    step.finished.push_back(key);
    // Dropped without a swap after its real table was: the real table goes too.
    if (found->second.real_dropped) others.push_back({t.db, found->second.real, 0, 0});
  }
  if (!step.handled) return step;
  if (!others.empty()) step.rest = statement_for(statement_kind::drop_table, others);
  else step.skip_reason = "it drops tables of online schema changes only";
  return step;
}

online_ddl_step plan_rename(const sql::ddl_statement& ddl, const online_ddl_rules& online,
                            table_rules& rules, const shadow_migrations& migrations) {
  online_ddl_step step;
  std::vector<sql::object_ref> others;
  for (size_t i = 0; i + 1 < ddl.tables.size(); i += 2) {
    auto& from = ddl.tables[i];
    auto& to = ddl.tables[i + 1];
    bool from_helper = online.is_helper(from.table), to_helper = online.is_helper(to.table);
    if (!from_helper && !to_helper) {
      others.push_back(from);
      others.push_back(to);
      continue;
    }
    step.handled = true;
    // The old table put aside (the swap's first half), or a trash table renamed: the downstream
    // table keeps its name, the shadow's changes come to it.
    if (online.is_trash(to.table) || online.is_trash(from.table)) continue;
    auto real = online.real_of_shadow(from.table);
    if (!real) {
      step.fail_reason = "RENAME TABLE " + name_of(from) + " TO " + name_of(to) +
                         " gives a table the name of an online schema change's shadow table; "
                         "arrange the downstream by hand, then skip this event with dmctl "
                         "binlog skip";
      return step;
    }
    bool wanted = rules.replicated(from.db, *real) || rules.replicated(to.db, to.table);
    if (!wanted) continue;
    // pt-online-schema-change names the shadow __t_new when _t_new exists: the rules read the
    // real name wrong, and what was recorded (if anything) belongs to another name.
    if (to.db != from.db || to.table != *real) {
      step.fail_reason = "RENAME TABLE " + name_of(from) + " TO " + name_of(to) +
                         " swaps the shadow table in under another name than " + from.db + "." +
                         *real + " (the name shadow-table-rules read from it); make the "
                         "online schema change's change to " + name_of(to) +
                         " downstream by hand, then skip this event with dmctl binlog skip";
      return step;
    }
    auto key = shadow_key(from.db, from.table);
    auto found = migrations.find(key);
    if (found == migrations.end() || !found->second.complete) {
      step.fail_reason = unknown_change(from.db, *real, from.table);
      return step;
    }
    const auto& m = found->second;
    for (size_t a = m.applied; a < m.alters.size(); ++a)
      step.alters.push_back({key, a, m.alters[a]});
    step.finished.push_back(key);
  }
  if (!step.handled) return step;
  // The statement's other pairs run after the swap's changes: one that moves the real table
  // away (RENAME t TO t_bak, _t_new TO t) would take the altered table with it.
  for (size_t i = 0; i < others.size(); i += 2)
    for (auto& key : step.finished) {
      auto& m = migrations.at(key);
      if (others[i].db == m.db && others[i].table == m.real) {
        step.fail_reason = "RENAME TABLE moves " + name_of(others[i]) + " away while an online "
                           "schema change swaps its shadow in; the downstream has only one "
                           "copy of the table: arrange it by hand, then skip this event with "
                           "dmctl binlog skip";
        return step;
      }
    }
  if (!others.empty()) step.rest = statement_for(statement_kind::rename_table, others);
  else if (step.alters.empty() && step.finished.empty())
    step.skip_reason = "it renames tables of online schema changes only";
  return step;
}

// Whether the ALTER TABLE clauses after byte `from` of `text` are one RENAME [TO|AS] name.
bool renames_only(std::string_view text, size_t from, const sql::lexer_mode& mode) {
  auto tokens = sql::tokenize(text, mode);
  size_t i = 0;
  while (i < tokens.size() && tokens[i].begin < from) ++i;
  if (i >= tokens.size() || !tokens[i].is_keyword("RENAME")) return false;
  for (; i < tokens.size(); ++i)
    if (tokens[i].is(',')) return false;
  return true;
}

}  // namespace

caf::expected<online_ddl_rules> online_ddl_rules::compile(const online_ddl_config& config) {
  online_ddl_rules out;
  out.enabled_ = config.enabled;
  if (!config.enabled) return out;
  auto shadow = compile_all(config.shadow_table_rules, "shadow-table-rules", true);
  if (!shadow) return shadow.error();
  auto trash = compile_all(config.trash_table_rules, "trash-table-rules", false);
  if (!trash) return trash.error();
  out.shadow_ = std::move(*shadow);
  out.trash_ = std::move(*trash);
  return out;
}

const online_ddl_rules::verdict& online_ddl_rules::judge(const std::string& table) const {
  auto found = cache_.find(table);
  if (found != cache_.end()) return found->second;
  verdict v;
  for (auto& re : shadow_) {
    std::smatch m;
    if (std::regex_search(table, m, re) && m.size() > 1 && m[1].matched && m[1].length() > 0) {
      v.real = m[1].str();
      break;
    }
  }
  v.trash = std::any_of(trash_.begin(), trash_.end(),
                        [&](const std::regex& re) { return std::regex_search(table, re); });
  return cache_.emplace(table, std::move(v)).first->second;
}

std::optional<std::string> online_ddl_rules::real_of_shadow(const std::string& table) const {
  if (!enabled_) return std::nullopt;
  return judge(table).real;
}

bool online_ddl_rules::is_trash(const std::string& table) const {
  return enabled_ && judge(table).trash;
}

bool online_ddl_rules::is_helper(const std::string& table) const {
  if (!enabled_) return false;
  auto& v = judge(table);
  return v.real || v.trash;
}

online_ddl_config default_online_ddl(const std::string& scheme) {
  online_ddl_config out;
  out.enabled = true;
  if (scheme == "pt") {
    out.shadow_table_rules = {"^_(.+)_new$"};
    out.trash_table_rules = {"^_(.+)_old$"};
  } else if (scheme == "gh-ost") {
    out.shadow_table_rules = {"^_(.+)_gho$"};
    out.trash_table_rules = {"^_(.+)_(?:ghc|del)$"};
  } else {
    out.shadow_table_rules = {"^_(.+)_(?:new|gho)$"};
    out.trash_table_rules = {"^_(.+)_(?:ghc|del|old)$"};
  }
  return out;
}

std::string shadow_key(const std::string& db, const std::string& shadow) {
  return db + '\0' + shadow;
}

online_ddl_step plan_online_ddl(const sql::ddl_statement& ddl, std::string_view text,
                                const std::string& default_db, const sql::lexer_mode& mode,
                                const relay_key& at, const online_ddl_rules& online,
                                table_rules& rules, const shadow_migrations& migrations) {
  if (!online.enabled() || ddl.tables.empty()) return {};
  // gh-ost's two-step cut-over renames with ALTER TABLE t RENAME _t_del.
  if (ddl.kind == statement_kind::alter_table && ddl.tables.size() == 2 &&
      (online.is_helper(ddl.tables[0].table) || online.is_helper(ddl.tables[1].table)) &&
      renames_only(text, ddl.tables[0].end, mode)) {
    auto as_rename = ddl;
    as_rename.kind = statement_kind::rename_table;
    return plan_rename(as_rename, online, rules, migrations);
  }
  switch (ddl.kind) {
    case statement_kind::drop_table:
      return plan_drop(ddl, online, migrations);
    case statement_kind::rename_table:
      return plan_rename(ddl, online, rules, migrations);
    case statement_kind::create_table:
    case statement_kind::alter_table:
    case statement_kind::truncate_table:
    case statement_kind::create_index:
    case statement_kind::drop_index:
      return plan_one_table(ddl, text, default_db, mode, at, online, rules, migrations);
    default:
      return {};
  }
}

}  // namespace dm
