#include "io/precheck.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "io/connection_settings.hpp"
#include "sync/online_ddl.hpp"
#include "sync/table_rules.hpp"
#include "common/error.hpp"
#include "protocol/mysql_connection.hpp"
#include "protocol/sql/grants.hpp"
#include "protocol/sql/lexer.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

// Whether the task runs precheck item `item` (not named in ignore-checking-items, nor "all").
bool item_wanted(const task_config& task, const std::string& item) {
  auto& ignored = task.ignore_checking_items;
  return std::find(ignored.begin(), ignored.end(), item) == ignored.end() &&
         std::find(ignored.begin(), ignored.end(), "all") == ignored.end();
}

bool supported_version(const std::string& version) {
  bool mariadb = version.find("MariaDB") != std::string::npos;
  int major = 0, minor = 0;
  std::sscanf(version.c_str(), "%d.%d", &major, &minor);
  return mariadb ? (major > 10 || (major == 10 && minor >= 1))
                 : (major > 5 || (major == 5 && minor >= 7));
}

// The tables the task replicates from the source: (db, table) -> (target db, target table).
using table_map = std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>>;

class checker {
 public:
  checker(const task_config& task, const source_config& source)
      : task_(task), source_(source), instance_(find_instance(task, source.source_id)) {}

  std::vector<check_item> run() {
    auto up = connect(source_.from, server_role::upstream,
                      "upstream of source " + source_.source_id, "upstream_connection");
    auto down = connect(task_.target_database, server_role::downstream,
                        "downstream of task " + task_.name, "downstream_connection");
    table_map tables;
    if (up) {
      check_upstream_settings(*up);
      tables = replicated_tables(*up);
      check_upstream_privileges(*up, tables);
      check_keys(*up, tables);
      check_merged_tables(*up, tables);
      check_online_ddl();
    }
    if (down) {
      check_downstream_privileges(*down, tables);
      if (loads() && wanted("local_infile")) check_local_infile(*down);
      if (up) check_collations(*up, *down, tables);
      check_merged_keys(*down);
    }
    return std::move(items_);
  }

 private:
  bool syncs() const { return dm::syncs(task_.task_mode); }
  bool loads() const { return copies(task_.task_mode); }

  bool wanted(const std::string& item) const { return item_wanted(task_, item); }

  void report(const std::string& item, const std::string& state, const std::string& message) {
    items_.push_back({source_.source_id, item, state, message});
  }

  std::optional<mysql_connection> connect(const db_config& db, server_role role,
                                          const std::string& what, const std::string& item) {
    auto params = to_connection_params(db);
    params.connect_timeout = std::chrono::seconds{10};
    auto label = what + " (" + db.host + ":" + std::to_string(db.port) + ")";
    auto conn = mysql_connection::open(params, role, label);
    if (!conn) {
      report(item, "fail", describe(conn.error()));
      return std::nullopt;
    }
    return std::move(*conn);
  }

  // A query's rows, or nullopt after reporting `item` failed with the error.
  std::optional<result_rows> query(mysql_connection& conn, const std::string& sql,
                                   const std::string& item) {
    auto rows = conn.query(sql);
    if (!rows) {
      report(item, "fail", "cannot run " + sql + ": " + describe(rows.error()));
      return std::nullopt;
    }
    return std::move(*rows);
  }

  void check_upstream_settings(mysql_connection& up) {
    auto rows = query(up, "SELECT VERSION(), @@server_id, @@log_bin, @@binlog_format, "
                          "@@binlog_row_image", "version");
    if (!rows || rows->empty() || (*rows)[0].size() < 5) return;
    auto value = [&](size_t i) { return (*rows)[0][i].value_or(""); };
    auto judged = judge_upstream_settings({value(0), value(1), value(2), value(3), value(4)},
                                          task_, source_.source_id);
    items_.insert(items_.end(), judged.begin(), judged.end());
  }

  table_map replicated_tables(mysql_connection& up) {
    table_map out;
    if (!instance_) return out;
    auto rules = table_rules::compile(*instance_);
    if (!rules) {
      report("table_schema", "fail", describe(rules.error()));
      return out;
    }
    auto rows = query(up, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                          "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', "
                          "'information_schema', 'performance_schema', 'sys')", "table_schema");
    if (!rows) return out;
    auto online = online_ddl_rules::compile(task_.online_ddl);
    if (!online) {
      report("online_ddl", "fail", describe(online.error()));
      return out;
    }
    for (auto& r : *rows) {
      if (!r[0] || !r[1]) continue;
      if (auto real = online->real_of_shadow(*r[1]); real && rules->replicated(*r[0], *real))
        shadows_.push_back(sql::qualified_name(*r[0], *r[1]) + " (of " +
                           sql::qualified_name(*r[0], *real) + ")");
      else if (online->is_helper(*r[1]) && rules->replicated(*r[0], *r[1]))
        lookalikes_.push_back(sql::qualified_name(*r[0], *r[1]));
      if (!rules->replicated(*r[0], *r[1]) || online->is_helper(*r[1])) continue;
      auto target = rules->route(*r[0], *r[1]);
      if (!target) {
        report("table_schema", "fail", describe(target.error()));
        continue;
      }
      out[{*r[0], *r[1]}] = *target;
    }
    return out;
  }

  // The grant lines of the connected user and of its active roles (and the roles those hold).
  std::optional<std::vector<sql::grant_line>> grants(mysql_connection& conn,
                                                     const std::string& item,
                                                     std::string& user) {
    auto who = query(conn, "SELECT CURRENT_USER(), CURRENT_ROLE()", item);
    if (!who || who->empty()) return std::nullopt;
    user = (*who)[0][0].value_or("?");
    auto at = user.rfind('@');
    if (at != std::string::npos)
      user = "'" + user.substr(0, at) + "'@'" + user.substr(at + 1) + "'";
    std::vector<sql::grant_line> out;
    std::vector<std::string> roles;
    // MariaDB gives the active role's name, MySQL `r`@`h` items; NULL or NONE when none.
    for (auto& t : sql::tokenize((*who)[0][1].value_or("")))
      if ((t.type == sql::token::kind::quoted_identifier || t.type == sql::token::kind::word) &&
          !t.is_keyword("NONE"))
        roles.push_back(t.text);
    auto lines = query(conn, "SHOW GRANTS", item);
    if (!lines) return std::nullopt;
    std::set<std::string> seen;
    for (size_t next = 0;; ++next) {
      for (auto& r : *lines)
        if (r.size() > 0 && r[0])
          if (auto g = sql::parse_grant(*r[0])) {
            if (!g->roles.empty()) continue;  // granted roles count only when active
            out.push_back(std::move(*g));
          }
      // Roles held by active roles are active too.
      while (next < roles.size() && seen.count(roles[next])) ++next;
      if (next >= roles.size()) break;
      seen.insert(roles[next]);
      std::string show = "SHOW GRANTS FOR ";
      sql::append_identifier(show, roles[next]);
      lines = query(conn, show, item);
      if (!lines) return std::nullopt;
      for (auto& r : *lines)
        if (r.size() > 0 && r[0])
          if (auto g = sql::parse_grant(*r[0]))
            for (auto& role : g->roles) roles.push_back(role);
    }
    return out;
  }

  // Privileges a user lacks: "*.*" or "`db`.*" -> the privileges.
  using missing_map = std::map<std::string, std::vector<std::string>>;

  // Adds to `missing` the `privileges` that `grants` do not give globally (`databases` empty)
  // or on each of `databases`.
  static void collect(missing_map& missing, const std::vector<sql::grant_line>& grants,
                      const std::vector<std::string>& privileges,
                      const std::set<std::string>& databases) {
    for (auto& p : privileges) {
      if (databases.empty()) {
        if (!sql::grants_privilege(grants, p, "")) missing["*.*"].push_back(p);
        continue;
      }
      for (auto& db : databases)
        if (!sql::grants_privilege(grants, p, db)) {
          std::string on;
          sql::append_identifier(on, db);
          missing[on + ".*"].push_back(p);
        }
    }
  }

  // Reports `item` ok, or failed naming each missing privilege and the GRANT that gives it.
  void verdict(const std::string& item, const std::string& user, const missing_map& missing,
               const std::string& purpose, const std::string& alternative = "") {
    if (missing.empty()) {
      report(item, "ok", user + " has what " + purpose + " needs");
      return;
    }
    std::string message;
    for (auto& [on, list] : missing) {
      std::string names;
      for (auto& p : list) names += (names.empty() ? "" : ", ") + p;
      message += (message.empty() ? "" : "; ") + user + " lacks " + names + " on " + on +
                 " (" + purpose + "): GRANT " + names + " ON " + on + " TO " + user;
    }
    report(item, "fail", message + alternative);
  }

  void check_upstream_privileges(mysql_connection& up, const table_map& tables) {
    bool dump = loads() && wanted("dump_privilege");
    bool replicate = syncs() && wanted("replication_privilege");
    if (!dump && !replicate) return;
    std::string user;
    auto granted = grants(up, dump ? "dump_privilege" : "replication_privilege", user);
    if (!granted) return;
    if (dump) {
      // The databases of the tables the user can see, and those the block-allow list names
      // literally (a user without SELECT on a database may not see its tables).
      std::set<std::string> databases;
      for (auto& [name, target] : tables) databases.insert(name.first);
      if (instance_)
        for (auto& db : instance_->block_allow.do_dbs)
          if (db.find_first_of("*?") == std::string::npos && db.rfind('~', 0) != 0)
            databases.insert(db);
      missing_map missing;
      collect(missing, *granted, {"SELECT"}, databases);
      bool locks = !instance_ || instance_->dumper.consistency != dump_consistency::none;
      if (locks) collect(missing, *granted, {"RELOAD"}, {});
      verdict("dump_privilege", user, missing, "the dump",
              missing.count("*.*") ? "; or dump without the lock: mydumpers extra-args "
                                     "\"--consistency none\""
                                   : "");
    }
    if (replicate) {
      missing_map missing;
      collect(missing, *granted, {"REPLICATION SLAVE", "REPLICATION CLIENT"}, {});
      verdict("replication_privilege", user, missing, "the relay and the syncer");
    }
  }

  void check_downstream_privileges(mysql_connection& down, const table_map& tables) {
    if (!wanted("target_privilege")) return;
    std::string user;
    auto granted = grants(down, "target_privilege", user);
    if (!granted) return;
    std::set<std::string> databases{task_.meta_schema};
    for (auto& [name, target] : tables) databases.insert(target.first);
    missing_map missing;
    collect(missing, *granted,
            {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX"},
            databases);
    verdict("target_privilege", user, missing, "the loader and the syncer");
  }

  void check_local_infile(mysql_connection& down) {
    auto rows = down.query("SELECT @@local_infile");
    if (!rows || rows->empty()) {
      report("local_infile", "warn", "the downstream has no local_infile variable; the loader "
                                     "needs LOAD DATA LOCAL INFILE to be allowed");
      return;
    }
    auto value = (*rows)[0][0].value_or("");
    if (value == "1" || value == "ON")
      report("local_infile", "ok", "local_infile ON");
    else
      report("local_infile", "fail",
             "the downstream has local_infile OFF and the loader uses LOAD DATA LOCAL INFILE: "
             "SET GLOBAL local_infile = ON");
  }

  // Tables replicated without a primary or unique key (a warning: rows are matched by all
  // their columns, and the dump reads such a table in one chunk).
  void check_keys(mysql_connection& up, const table_map& tables) {
    if (!wanted("table_schema") || tables.empty()) return;
    auto rows = query(up,
                      "SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME FROM "
                      "information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_TYPE IN ('PRIMARY "
                      "KEY', 'UNIQUE')",
                      "table_schema");
    if (!rows) return;
    std::set<std::pair<std::string, std::string>> keyed;
    for (auto& r : *rows)
      if (r[0] && r[1]) keyed.emplace(*r[0], *r[1]);
    std::string keyless;
    size_t count = 0;
    for (auto& [name, target] : tables) {
      if (keyed.count(name)) continue;
      if (++count <= 5)
        keyless += (keyless.empty() ? "" : ", ") + sql::qualified_name(name.first, name.second);
    }
    if (count == 0) {
      report("table_schema", "ok", "every replicated table has a primary or unique key");
      return;
    }
    if (count > 5) keyless += " and " + std::to_string(count - 5) + " more";
    report("table_schema", "warn",
           std::to_string(count) + " replicated table(s) have no primary or unique key (" +
               keyless + "): their rows are matched by all columns and dumped in one chunk; "
               "add a primary key where you can");
  }

  // Routes that write several replicated tables into one downstream table: their structures
  // must agree (schema_of_shard_tables), and auto-increment keys would give rows of different
  // tables the same key values, so that one overwrites another downstream (auto_increment_ID).
  // Tables of this source are compared; another source's are counted when its instance has a
  // route naming the same target table.
  void check_merged_tables(mysql_connection& up, const table_map& tables) {
    bool want_schema = wanted("schema_of_shard_tables"), want_auto = wanted("auto_increment_ID");
    if (!want_schema && !want_auto) return;
    using name = std::pair<std::string, std::string>;
    std::map<name, std::vector<name>> by_target;
    for (auto& [table, target] : tables) by_target[target].push_back(table);
    std::map<name, std::set<std::string>> other_sources;
    for (auto& inst : task_.mysql_instances) {
      if (inst.source_id == source_.source_id) continue;
      for (auto& r : inst.routes)
        if (!r.target_table.empty() && by_target.count({r.target_schema, r.target_table}))
          other_sources[{r.target_schema, r.target_table}].insert(inst.source_id);
    }
    std::map<name, std::vector<name>> merged;
    for (auto& [target, sources] : by_target)
      if (sources.size() > 1 || other_sources.count(target)) merged[target] = sources;
    // Tables whose route writes extract columns: their rows stay apart by those, unless two
    // tables get the same values.
    std::set<name> extracted;
    std::string same_values;
    if (auto rules = table_rules::compile(*instance_))
      for (auto& [target, sources] : merged) {
        std::map<std::vector<std::pair<std::string, std::string>>, name> seen;
        for (auto& t : sources) {
          if (!rules->route(t.first, t.second)) continue;
          const auto& values = rules->extracted_columns(t.first, t.second);
          if (values.empty()) continue;
          extracted.insert(t);
          auto& columns = extract_columns_[target];
          for (auto& [column, value] : values) columns.insert(column);
          auto [it, fresh] = seen.emplace(values, t);
          if (fresh) continue;
          std::string shown;
          for (auto& [column, value] : values)
            shown += (shown.empty() ? "" : ", ") + column + " = '" + value + "'";
          same_values += (same_values.empty() ? "" : "; ") +
                         sql::qualified_name(t.first, t.second) + " and " +
                         sql::qualified_name(it->second.first, it->second.second) +
                         " get the same extract values (" + shown + ") in " +
                         sql::qualified_name(target.first, target.second);
        }
      }
    if (merged.empty()) {
      if (want_schema) report("schema_of_shard_tables", "ok", "no tables are merged into one");
      if (want_auto) report("auto_increment_ID", "ok", "no tables are merged into one");
      return;
    }
    auto rows = query(up,
                      "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY, "
                      "EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA NOT IN ('mysql', "
                      "'information_schema', 'performance_schema', 'sys') ORDER BY TABLE_SCHEMA, "
                      "TABLE_NAME, ORDINAL_POSITION",
                      want_schema ? "schema_of_shard_tables" : "auto_increment_ID");
    if (!rows) return;
    struct shape {
      std::vector<std::string> columns;  // "name type [PRI]"
      std::string auto_increment;        // the auto-increment column, if any
    };
    std::map<name, shape> shapes;
    for (auto& r : *rows) {
      if (!r[0] || !r[1] || !r[2] || !r[3]) continue;
      auto& s = shapes[{*r[0], *r[1]}];
      s.columns.push_back(*r[2] + " " + *r[3] + (r[4].value_or("") == "PRI" ? " PRIMARY" : ""));
      if (r[5].value_or("").find("auto_increment") != std::string::npos) s.auto_increment = *r[2];
    }
    auto quoted = [](const name& n) { return sql::qualified_name(n.first, n.second); };
    std::string schema_problems, auto_problems;
    for (auto& [target, sources] : merged) {
      auto with = [&, &target = target, &sources = sources](const name& table) {
        std::string others;
        for (auto& t : sources)
          if (t != table) others += (others.empty() ? "" : ", ") + quoted(t);
        for (auto& s : other_sources[target])
          others += (others.empty() ? "tables of source " : ", tables of source ") + s;
        return quoted(table) + " is merged into " + quoted(target) + " with " + others;
      };
      const auto& first = shapes[sources.front()];
      for (auto& table : sources) {
        const auto& s = shapes[table];
        if (table != sources.front() && s.columns != first.columns) {
          std::string difference;
          for (size_t i = 0; i < std::max(s.columns.size(), first.columns.size()); ++i) {
            auto a = i < first.columns.size() ? first.columns[i] : "nothing";
            auto b = i < s.columns.size() ? s.columns[i] : "nothing";
            if (a == b) continue;
            difference = "column " + std::to_string(i + 1) + " is " + b + " there and " + a +
                         " in " + quoted(sources.front());
            break;
          }
          schema_problems += (schema_problems.empty() ? "" : "; ") + with(table) +
                             " but their structures differ (" + difference + ")";
        }
        if (!s.auto_increment.empty() && !extracted.count(table))
          auto_problems += (auto_problems.empty() ? "" : "; ") + with(table) +
                           ", and its auto-increment column " + s.auto_increment +
                           " gives rows of different tables the same values";
      }
    }
    if (want_schema) {
      if (schema_problems.empty())
        report("schema_of_shard_tables", "ok", "the tables merged into one have one structure");
      else
        report("schema_of_shard_tables", "fail",
               schema_problems + ": give them the same columns, in the same order, and the same "
                                 "primary key before merging them");
    }
    if (want_auto && !same_values.empty()) {
      report("auto_increment_ID", "fail",
             same_values + ": their rows would overwrite each other downstream; make the "
                           "route's extract regexps tell the tables apart");
      want_auto = false;
    }
    if (want_auto) {
      if (auto_problems.empty())
        report("auto_increment_ID", "ok", "no table merged into one has an auto-increment key");
      else
        report("auto_increment_ID", "fail",
               auto_problems + ": rows with the same key would overwrite each other "
                               "downstream. Add extract-table/extract-schema/extract-source "
                               "columns to the route (and to the downstream table's primary "
                               "key), or give each table its own range upstream "
                               "(auto_increment_increment and auto_increment_offset) and ignore "
                               "this item");
    }
  }

  // Downstream tables that routes merge tables into with extract columns: every primary or
  // unique key must include those columns, or rows of different tables with the same key values
  // overwrite each other (safe mode writes REPLACE). A table that does not exist yet must be
  // created with them: the copy would create it from one upstream table, without them.
  void check_merged_keys(mysql_connection& down) {
    if (extract_columns_.empty() || !wanted("schema_of_shard_tables")) return;
    std::string problems;
    for (auto& [target, columns] : extract_columns_) {
      auto quoted = sql::qualified_name(target.first, target.second);
      auto literal = [](const std::string& text) {
        std::string out;
        sql::append_escaped(out, text);
        return out;
      };
      // No row: the table does not exist; a row of NULLs: it has no primary or unique key.
      auto rows = query(down,
                        "SELECT s.INDEX_NAME, s.COLUMN_NAME FROM information_schema.TABLES t "
                        "LEFT JOIN information_schema.STATISTICS s ON s.TABLE_SCHEMA = "
                        "t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME AND s.NON_UNIQUE = 0 "
                        "WHERE t.TABLE_SCHEMA = " + literal(target.first) +
                            " AND t.TABLE_NAME = " + literal(target.second),
                        "schema_of_shard_tables");
      if (!rows) return;
      std::string wanted_columns;
      for (auto& c : columns) wanted_columns += (wanted_columns.empty() ? "" : ", ") + c;
      if (rows->empty()) {
        problems += (problems.empty() ? "" : "; ") + quoted +
                    " does not exist downstream: create it with the extract columns (" +
                    wanted_columns + ") in its primary key before starting the task";
        continue;
      }
      std::map<std::string, std::set<std::string>> keys;
      for (auto& r : *rows)
        if (r[0] && r[1]) keys[*r[0]].insert(*r[1]);
      if (keys.empty())
        problems += (problems.empty() ? "" : "; ") + quoted +
                    " downstream has no primary or unique key: give it one that includes the "
                    "extract columns (" + wanted_columns + ")";
      for (auto& [index, key_columns] : keys)
        for (auto& c : columns)
          if (!key_columns.count(c)) {
            problems += (problems.empty() ? "" : "; ") + std::string{"key "} + index +
                        " of " + quoted + " downstream lacks extract column " + c +
                        ": rows of different merged tables with the same key would overwrite "
                        "each other; add the extract columns (" + wanted_columns +
                        ") to it";
            break;
          }
    }
    if (problems.empty())
      report("schema_of_shard_tables", "ok",
             "the merged tables' keys downstream include their extract columns");
    else
      report("schema_of_shard_tables", "fail", problems);
  }

  // With online-ddl on: shadow tables of replicated tables that exist now are online schema
  // changes in progress. Their swap would bring a change this task never saw (the shadow's
  // ALTER came before its start): a task that copies the tables fails the item, one that only
  // syncs is warned (its start position may still come before the shadow's CREATE).
  void check_online_ddl() {
    if (!task_.online_ddl.enabled || !wanted("online_ddl")) return;
    if (shadows_.empty() && lookalikes_.empty()) {
      report("online_ddl", "ok", "no online schema change is in progress");
      return;
    }
    if (shadows_.empty()) {
      std::string list;
      for (size_t i = 0; i < lookalikes_.size() && i < 5; ++i)
        list += (i ? ", " : "") + lookalikes_[i];
      if (lookalikes_.size() > 5) list += " and " + std::to_string(lookalikes_.size() - 5) +
                                          " more";
      report("online_ddl", "warn",
             "tables named like online schema changes' trash or shadow tables (" + list +
                 ") are never replicated while online-ddl is on; rename them, or narrow "
                 "shadow-table-rules and trash-table-rules");
      return;
    }
    std::string list;
    for (size_t i = 0; i < shadows_.size() && i < 5; ++i)
      list += (i ? ", " : "") + shadows_[i];
    if (shadows_.size() > 5) list += " and " + std::to_string(shadows_.size() - 5) + " more";
    auto message = "online schema changes are in progress upstream (shadow tables " + list +
                   "): ";
    if (loads())
      report("online_ddl", "fail",
             message + "the copy would miss the changes they make; let them finish (or drop "
                       "the shadow tables), then start the task");
    else
      report("online_ddl", "warn",
             message + "unless the task starts before their shadow tables were created, it "
                       "pauses at their swap; let them finish before starting the task");
  }

  void check_collations(mysql_connection& up, mysql_connection& down, const table_map& tables) {
    if (!wanted("collation") || tables.empty()) return;
    auto used = query(up,
                      "SELECT TABLE_SCHEMA, TABLE_NAME, COLLATION_NAME FROM "
                      "information_schema.COLUMNS WHERE COLLATION_NAME IS NOT NULL UNION SELECT "
                      "TABLE_SCHEMA, TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
                      "WHERE TABLE_COLLATION IS NOT NULL",
                      "collation");
    if (!used) return;
    auto known = query(down, "SELECT COLLATION_NAME FROM information_schema.COLLATIONS",
                       "collation");
    if (!known) return;
    std::set<std::string> available;
    for (auto& r : *known)
      if (r[0]) available.insert(*r[0]);
    std::map<std::string, std::string> missing;  // collation -> first table using it
    for (auto& r : *used)
      if (r[0] && r[1] && r[2] && tables.count({*r[0], *r[1]}) && !available.count(*r[2]))
        missing.emplace(*r[2], sql::qualified_name(*r[0], *r[1]));
    if (missing.empty()) {
      report("collation", "ok", "the downstream has every collation the tables use");
      return;
    }
    std::string message;
    for (auto& [collation, table] : missing)
      message += (message.empty() ? "" : "; ") + std::string{"the downstream lacks collation "} +
                 collation + " (used by " + table + ")";
    report("collation", "fail", message + ": convert those columns upstream or use a "
                                          "downstream that has the collation");
  }

  const task_config& task_;
  const source_config& source_;
  const mysql_instance* instance_;
  std::vector<check_item> items_;
  // Shadow tables of replicated tables (online-ddl on), "db.shadow (of db.table)".
  std::vector<std::string> shadows_;
  // Other tables the block-allow list keeps whose names the online-ddl rules claim.
  std::vector<std::string> lookalikes_;
  // Downstream tables routes merge tables into with extract columns: their columns.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> extract_columns_;
};

}  // namespace

std::vector<check_item> judge_upstream_settings(const upstream_settings& s,
                                               const task_config& task,
                                               const std::string& source_id) {
  std::vector<check_item> out;
  auto report = [&](const std::string& item, const std::string& state, const std::string& text) {
    if (item_wanted(task, item)) out.push_back({source_id, item, state, text});
  };
  if (supported_version(s.version))
    report("version", "ok", s.version);
  else
    report("version", "fail", "the upstream runs " + s.version +
                                  "; supported are MySQL 5.7 and later and MariaDB 10.1 and "
                                  "later: upgrade it");
  if (s.server_id == "0" || s.server_id.empty())
    report("server_id", "fail",
           "the upstream's server_id is 0; give it a unique non-zero server_id in its config "
           "(and SET GLOBAL server_id = N)");
  else
    report("server_id", "ok", "server_id " + s.server_id);
  if (!syncs(task.task_mode)) return out;  // nothing reads its binary log
  if (s.log_bin != "1" && s.log_bin != "ON")
    report("binlog_enable", "fail",
           "the upstream's binary log is off; start it with log-bin (and binlog_format=ROW)");
  else
    report("binlog_enable", "ok", "binary log on");
  auto setting = [&](const std::string& name, const std::string& is, const std::string& needed) {
    if (is != needed)
      report(name, "fail", "the upstream's " + name + " is " + is + "; SET GLOBAL " + name +
                               " = '" + needed + "' and set it in the server's config");
    else
      report(name, "ok", name + " " + is);
  };
  setting("binlog_format", s.binlog_format, "ROW");
  setting("binlog_row_image", s.binlog_row_image, "FULL");
  return out;
}

std::vector<check_item> precheck(const task_config& task, const source_config& source) {
  return checker{task, source}.run();
}

std::string describe_failures(const std::vector<check_item>& items) {
  std::string out;
  for (auto& item : items)
    if (item.state == "fail")
      out += (out.empty() ? "" : "; ") + item.name + " (source " + item.source_id + "): " +
             item.message;
  return out;
}

}  // namespace dm
