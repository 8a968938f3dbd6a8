#include "app/config/dm_yaml_writer.hpp"

#include <algorithm>
#include <tuple>

#include <yaml-cpp/yaml.h>

namespace dm::config {

namespace {

// A duration in milliseconds as DM writes them ("300s", "1500ms").
std::string duration(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

void write_db(YAML::Emitter& out, const db_config& db) {
  out << YAML::BeginMap;
  out << YAML::Key << "host" << YAML::Value << db.host;
  out << YAML::Key << "port" << YAML::Value << db.port;
  out << YAML::Key << "user" << YAML::Value << db.user;
  out << YAML::Key << "password" << YAML::Value << db.password;
  if (!db.ssl_ca.empty() || !db.ssl_cert.empty()) {
    out << YAML::Key << "security" << YAML::Value << YAML::BeginMap;
    if (!db.ssl_ca.empty()) out << YAML::Key << "ssl-ca" << YAML::Value << db.ssl_ca;
    if (!db.ssl_cert.empty()) {
      out << YAML::Key << "ssl-cert" << YAML::Value << db.ssl_cert;
      out << YAML::Key << "ssl-key" << YAML::Value << db.ssl_key;
    }
    out << YAML::EndMap;
  }
  if (!db.session.empty()) {
    // Values are kept as SQL literals: a quoted one is written without its quotes.
    out << YAML::Key << "session" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, literal] : db.session) {
      std::string value = literal;
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
        value.clear();
        for (size_t i = 1; i + 1 < literal.size(); ++i) {
          if (literal[i] == '\\' && i + 2 < literal.size()) {
            char next = literal[++i];
            value += next == '0' ? '\0' : next == 'n' ? '\n' : next == 'r' ? '\r'
                     : next == 'Z' ? '\x1a' : next;
          } else {
            value += literal[i];
          }
        }
      }
      out << YAML::Key << name << YAML::Value << YAML::DoubleQuoted << value;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

void write_filter_body(YAML::Emitter& out, const filter_rule& f) {
  out << YAML::BeginMap;
  out << YAML::Key << "schema-pattern" << YAML::Value << f.schema_pattern;
  if (!f.table_pattern.empty())
    out << YAML::Key << "table-pattern" << YAML::Value << f.table_pattern;
  if (!f.events.empty()) out << YAML::Key << "events" << YAML::Value << YAML::Flow << f.events;
  if (!f.sql_patterns.empty())
    out << YAML::Key << "sql-pattern" << YAML::Value << YAML::Flow << f.sql_patterns;
  out << YAML::Key << "action" << YAML::Value << f.action;
  out << YAML::EndMap;
}

void write_tables(YAML::Emitter& out, const char* key, const std::vector<table_pattern>& list) {
  if (list.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& t : list)
    out << YAML::BeginMap << YAML::Key << "db-name" << YAML::Value << t.db << YAML::Key
        << "tbl-name" << YAML::Value << t.table << YAML::EndMap;
  out << YAML::EndSeq;
}

}  // namespace

std::string to_dm_yaml(const source_config& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "source-id" << YAML::Value << s.source_id;
  out << YAML::Key << "enable-gtid" << YAML::Value << s.enable_gtid;
  out << YAML::Key << "enable-relay" << YAML::Value << s.enable_relay;
  if (!s.relay_binlog_name.empty())
    out << YAML::Key << "relay-binlog-name" << YAML::Value << s.relay_binlog_name;
  if (!s.relay_binlog_gtid.empty())
    out << YAML::Key << "relay-binlog-gtid" << YAML::Value << s.relay_binlog_gtid;
  out << YAML::Key << "server-id" << YAML::Value << s.server_id;
  if (!s.flavor.empty()) out << YAML::Key << "flavor" << YAML::Value << s.flavor;
  out << YAML::Key << "from" << YAML::Value;
  write_db(out, s.from);
  out << YAML::Key << "purge" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "interval" << YAML::Value << s.purge.interval;
  out << YAML::Key << "expires" << YAML::Value << s.purge.expires;
  out << YAML::Key << "remain-space" << YAML::Value << s.purge.remain_space;
  out << YAML::EndMap;
  const auto& c = s.auto_resume;
  out << YAML::Key << "checker" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "check-enable" << YAML::Value << c.enabled;
  out << YAML::Key << "backoff-min" << YAML::Value << duration(c.backoff_min_ms);
  out << YAML::Key << "backoff-max" << YAML::Value << duration(c.backoff_max_ms);
  out << YAML::Key << "backoff-rollback" << YAML::Value << duration(c.rollback_ms);
  out << YAML::EndMap;
  if (!s.filters.empty()) {
    out << YAML::Key << "filters" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : s.filters) write_filter_body(out, f);
    out << YAML::EndSeq;
  }
  if (s.case_sensitive) out << YAML::Key << "case-sensitive" << YAML::Value << true;
  out << YAML::Key << "heartbeat-period" << YAML::Value << s.heartbeat_period;
  out << YAML::Key << "read-timeout" << YAML::Value << s.read_timeout;
  out << YAML::EndMap;
  return std::string{out.c_str()} + "\n";
}

std::string to_dm_yaml(const task_config& t) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << t.name;
  out << YAML::Key << "task-mode" << YAML::Value << to_string(t.task_mode);
  out << YAML::Key << "meta-schema" << YAML::Value << t.meta_schema;
  out << YAML::Key << "clean-dump-file" << YAML::Value << t.clean_dump_file;
  if (!t.ignore_checking_items.empty())
    out << YAML::Key << "ignore-checking-items" << YAML::Value << YAML::Flow
        << t.ignore_checking_items;
  if (!t.mysql_instances.empty() && t.mysql_instances.front().case_sensitive)
    out << YAML::Key << "case-sensitive" << YAML::Value << true;
  if (!t.shard_mode.empty()) {
    out << YAML::Key << "is-sharding" << YAML::Value << true;
    out << YAML::Key << "shard-mode" << YAML::Value << t.shard_mode;
  }
  if (t.strict_collations)
    out << YAML::Key << "collation_compatible" << YAML::Value << "strict";
  if (t.online_ddl.enabled) {
    out << YAML::Key << "online-ddl" << YAML::Value << true;
    out << YAML::Key << "shadow-table-rules" << YAML::Value << YAML::Flow
        << t.online_ddl.shadow_table_rules;
    out << YAML::Key << "trash-table-rules" << YAML::Value << YAML::Flow
        << t.online_ddl.trash_table_rules;
  }
  out << YAML::Key << "target-database" << YAML::Value;
  write_db(out, t.target_database);

  // The rules each instance resolved, as named sections.
  out << YAML::Key << "block-allow-list" << YAML::Value << YAML::BeginMap;
  for (const auto& inst : t.mysql_instances) {
    const auto& ba = inst.block_allow;
    out << YAML::Key << "ba-" + inst.source_id << YAML::Value << YAML::BeginMap;
    if (!ba.do_dbs.empty()) out << YAML::Key << "do-dbs" << YAML::Value << YAML::Flow << ba.do_dbs;
    if (!ba.ignore_dbs.empty())
      out << YAML::Key << "ignore-dbs" << YAML::Value << YAML::Flow << ba.ignore_dbs;
    write_tables(out, "do-tables", ba.do_tables);
    write_tables(out, "ignore-tables", ba.ignore_tables);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  bool any_route = false, any_filter = false;
  for (const auto& inst : t.mysql_instances) {
    any_route |= !inst.routes.empty();
    any_filter |= !inst.filters.empty();
  }
  if (any_route) {
    out << YAML::Key << "routes" << YAML::Value << YAML::BeginMap;
    for (const auto& inst : t.mysql_instances)
      for (size_t i = 0; i < inst.routes.size(); ++i) {
        const auto& r = inst.routes[i];
        out << YAML::Key << "route-" + inst.source_id + "-" + std::to_string(i) << YAML::Value
            << YAML::BeginMap;
        out << YAML::Key << "schema-pattern" << YAML::Value << r.schema_pattern;
        if (!r.table_pattern.empty())
          out << YAML::Key << "table-pattern" << YAML::Value << r.table_pattern;
        out << YAML::Key << "target-schema" << YAML::Value << r.target_schema;
        if (!r.target_table.empty())
          out << YAML::Key << "target-table" << YAML::Value << r.target_table;
        for (auto [key, regexp_key, rule] :
             {std::tuple{"extract-table", "table-regexp", &r.extract_table},
              std::tuple{"extract-schema", "schema-regexp", &r.extract_schema},
              std::tuple{"extract-source", "source-regexp", &r.extract_source}}) {
          if (rule->regexp.empty()) continue;
          out << YAML::Key << key << YAML::Value << YAML::BeginMap;
          out << YAML::Key << regexp_key << YAML::Value << rule->regexp;
          out << YAML::Key << "target-column" << YAML::Value << rule->column;
          out << YAML::EndMap;
        }
        out << YAML::EndMap;
      }
    out << YAML::EndMap;
  }
  if (any_filter) {
    // A filter name stands for one rule in the task file, so each is written once.
    std::vector<std::string> written;
    out << YAML::Key << "filters" << YAML::Value << YAML::BeginMap;
    for (const auto& inst : t.mysql_instances)
      for (const auto& f : inst.filters) {
        if (std::find(written.begin(), written.end(), f.name) != written.end()) continue;
        written.push_back(f.name);
        out << YAML::Key << f.name << YAML::Value;
        write_filter_body(out, f);
      }
    out << YAML::EndMap;
  }

  out << YAML::Key << "mysql-instances" << YAML::Value << YAML::BeginSeq;
  for (const auto& inst : t.mysql_instances) {
    out << YAML::BeginMap;
    out << YAML::Key << "source-id" << YAML::Value << inst.source_id;
    if (!inst.meta.empty()) {
      out << YAML::Key << "meta" << YAML::Value << YAML::BeginMap;
      if (!inst.meta.binlog_name.empty()) {
        out << YAML::Key << "binlog-name" << YAML::Value << inst.meta.binlog_name;
        out << YAML::Key << "binlog-pos" << YAML::Value << inst.meta.binlog_pos;
      }
      if (!inst.meta.binlog_gtid.empty())
        out << YAML::Key << "binlog-gtid" << YAML::Value << inst.meta.binlog_gtid;
      out << YAML::EndMap;
    }
    out << YAML::Key << "block-allow-list" << YAML::Value << "ba-" + inst.source_id;
    if (!inst.routes.empty()) {
      out << YAML::Key << "route-rules" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (size_t i = 0; i < inst.routes.size(); ++i)
        out << "route-" + inst.source_id + "-" + std::to_string(i);
      out << YAML::EndSeq;
    }
    if (!inst.filters.empty()) {
      out << YAML::Key << "filter-rules" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& f : inst.filters) out << f.name;
      out << YAML::EndSeq;
    }
    const auto& sy = inst.syncer;
    out << YAML::Key << "syncer" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "worker-count" << YAML::Value << sy.worker_count;
    out << YAML::Key << "batch" << YAML::Value << sy.batch;
    out << YAML::Key << "safe-mode" << YAML::Value << sy.safe_mode;
    out << YAML::Key << "memory-budget" << YAML::Value << sy.memory_budget_mb;
    out << YAML::EndMap;
    const auto& d = inst.dumper;
    out << YAML::Key << "mydumper" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "threads" << YAML::Value << d.threads;
    out << YAML::Key << "rows" << YAML::Value << d.rows;
    out << YAML::Key << "extra-args" << YAML::Value
        << std::string{"--consistency "} + to_string(d.consistency);
    out << YAML::EndMap;
    const auto& l = inst.loader;
    out << YAML::Key << "loader" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "pool-size" << YAML::Value << l.pool_size;
    if (!l.dir.empty()) out << YAML::Key << "dir" << YAML::Value << l.dir;
    out << YAML::Key << "on-duplicate-logical" << YAML::Value << to_string(l.on_duplicate);
    out << YAML::EndMap;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string{out.c_str()} + "\n";
}

}  // namespace dm::config
