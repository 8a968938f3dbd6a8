#include "model/config_json.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace dm {

// Enums are stored as the names task files use.
NLOHMANN_JSON_SERIALIZE_ENUM(task_mode, {{task_mode::incremental, "incremental"},
                                         {task_mode::full, "full"},
                                         {task_mode::all, "all"}})
NLOHMANN_JSON_SERIALIZE_ENUM(dump_consistency, {{dump_consistency::flush, "flush"},
                                                {dump_consistency::none, "none"}})
NLOHMANN_JSON_SERIALIZE_ENUM(on_duplicate, {{on_duplicate::replace, "replace"},
                                            {on_duplicate::ignore, "ignore"},
                                            {on_duplicate::error, "error"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(db_config, host, port, user, password, ssl_ca,
                                                ssl_cert, ssl_key, session)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(purge_config, interval, expires, remain_space)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(binlog_meta, binlog_name, binlog_pos,
                                                binlog_gtid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(syncer_config, worker_count, batch, safe_mode,
                                                memory_budget_mb)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(dumper_config, threads, rows, consistency)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(loader_config, pool_size, dir, on_duplicate)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(table_pattern, db, table)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(block_allow_rule, do_dbs, ignore_dbs, do_tables,
                                                ignore_tables)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(extract_rule, regexp, column)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(route_rule, schema_pattern, table_pattern,
                                                target_schema, target_table, extract_table,
                                                extract_schema, extract_source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(filter_rule, name, schema_pattern, table_pattern,
                                                events, sql_patterns, action)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(auto_resume_config, enabled, backoff_min_ms,
                                                backoff_max_ms, rollback_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(source_config, source_id, enable_gtid,
                                                enable_relay, relay_binlog_name,
                                                relay_binlog_gtid, server_id, flavor, from, purge,
                                                heartbeat_period, read_timeout, auto_resume,
                                                filters, case_sensitive)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(mysql_instance, source_id, meta, syncer,
                                                dumper, loader, block_allow, routes, filters,
                                                case_sensitive)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(online_ddl_config, enabled, shadow_table_rules,
                                                trash_table_rules)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(task_config, name, task_mode, meta_schema,
                                                clean_dump_file, target_database,
                                                mysql_instances, ignore_checking_items,
                                                online_ddl, strict_collations, shard_mode)

namespace {

template <class T>
caf::expected<T> from_json_text(const std::string& text, const char* what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ec::storage_failed, std::string{"stored "} + what + " is not valid JSON");
  try {
    return j.get<T>();
  } catch (const nlohmann::json::exception& e) {
    return make_error(ec::storage_failed, std::string{"stored "} + what + " is invalid: " + e.what());
  }
}

}  // namespace

std::string to_json(const source_config& x) { return nlohmann::json(x).dump(); }
std::string to_json(const task_config& x) { return nlohmann::json(x).dump(); }

caf::expected<source_config> source_config_from_json(const std::string& text) {
  return from_json_text<source_config>(text, "source config");
}

caf::expected<task_config> task_config_from_json(const std::string& text) {
  return from_json_text<task_config>(text, "task config");
}

}  // namespace dm
