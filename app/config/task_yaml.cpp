#include "app/config/task_yaml.hpp"

#include <map>
#include <set>

#include "app/config/db_yaml.hpp"
#include "app/config/yaml_map.hpp"
#include "common/error.hpp"
#include "protocol/gtid_set.hpp"
#include "common/position.hpp"

namespace dm::config {

namespace {

constexpr const char* later = "not implemented yet; remove it";

caf::error parse_syncer(yaml_map& m, syncer_config& out, std::vector<std::string>& warnings) {
  if (auto err = m.take_tolerated(
          {{"queue-size", nullptr, "in-flight work is bounded by credits per applier", false},
           {"multiple-rows", "true", "multi-row statements are always used", false}},
          warnings))
    return err;
  if (auto err = m.check_keys({"worker-count", "batch", "safe-mode", "memory-budget"},
                              {{"checkpoint-flush-interval", later},
                               {"compact", later},
                               {"safe-mode-duration", later},
                               {"enable-ansi-quotes", later}}))
    return err;
  if (auto err = m.read("worker-count", out.worker_count, 1)) return err;
  if (auto err = m.read("batch", out.batch, 1)) return err;
  if (out.worker_count > 256)
    return make_error(ec::invalid_config, m.where("worker-count") + " must be at most 256");
  if (auto err = m.read("memory-budget", out.memory_budget_mb, 16)) return err;
  return m.read("safe-mode", out.safe_mode);
}

caf::error parse_dumper(yaml_map& m, dumper_config& out, std::vector<std::string>& warnings) {
  if (auto err = m.take_tolerated(
          {{"chunk-filesize", nullptr, "chunks are sized by rows; use rows", false},
           {"skip-tz-utc", nullptr, "dumps are always read and written in UTC", false}},
          warnings))
    return err;
  if (auto err = m.check_keys({"threads", "rows", "extra-args"}))
    return err;
  if (auto err = m.read("threads", out.threads, 1)) return err;
  if (auto err = m.read("rows", out.rows, 1)) return err;
  if (out.threads > 128)
    return make_error(ec::invalid_config, m.where("threads") + " must be at most 128");
  std::string extra;
  if (auto err = m.read("extra-args", extra)) return err;
  // DM passes extra-args to its dumper; of those, only the consistency mode means something
  // here: "--consistency flush|auto" (the default) or "--consistency none|snapshot".
  std::vector<std::string> words;
  for (size_t at = 0; at < extra.size();) {
    auto end = extra.find(' ', at);
    if (end == std::string::npos) end = extra.size();
    if (end > at) words.push_back(extra.substr(at, end - at));
    at = end + 1;
  }
  for (size_t i = 0; i < words.size(); ++i) {
    std::string value;
    if (words[i] == "--consistency" && i + 1 < words.size()) value = words[++i];
    else if (words[i].rfind("--consistency=", 0) == 0) value = words[i].substr(14);
    else
      return make_error(ec::invalid_config,
                        m.where("extra-args") + ": '" + words[i] +
                            "' is not supported; only --consistency flush|none is");
    if (value == "flush" || value == "auto") out.consistency = dump_consistency::flush;
    else if (value == "none" || value == "snapshot") out.consistency = dump_consistency::none;
    else
      return make_error(ec::invalid_config, m.where("extra-args") + ": --consistency '" + value +
                                                "' is not supported; use flush or none");
  }
  return caf::none;
}

caf::error parse_loader(const yaml_map& m, loader_config& out) {
  if (auto err = m.check_keys({"pool-size", "dir", "on-duplicate", "on-duplicate-logical",
                               "import-mode"}))
    return err;
  if (auto err = m.read("pool-size", out.pool_size, 1)) return err;
  if (out.pool_size > 256)
    return make_error(ec::invalid_config, m.where("pool-size") + " must be at most 256");
  if (auto err = m.read("dir", out.dir)) return err;
  for (const char* key : {"on-duplicate", "on-duplicate-logical"}) {
    std::string text = to_string(out.on_duplicate);
    if (auto err = m.read(key, text)) return err;
    auto value = on_duplicate_from(text);
    if (!value)
      return make_error(ec::invalid_config, m.where(key) + " must be replace, ignore or error, "
                                                           "got '" + text + "'");
    out.on_duplicate = *value;
  }
  std::string mode = "logical";
  if (auto err = m.read("import-mode", mode)) return err;
  if (mode != "logical" && mode != "sql")
    return make_error(ec::invalid_config, m.where("import-mode") + " '" + mode +
                                              "' is not supported; only logical (SQL) loading is");
  return caf::none;
}

caf::error parse_block_allow(const yaml_map& m, block_allow_rule& out) {
  if (auto err = m.check_keys({"do-dbs", "ignore-dbs", "do-tables", "ignore-tables"})) return err;
  if (auto err = m.read("do-dbs", out.do_dbs)) return err;
  if (auto err = m.read("ignore-dbs", out.ignore_dbs)) return err;
  for (auto [key, list] : {std::make_pair("do-tables", &out.do_tables),
                           std::make_pair("ignore-tables", &out.ignore_tables)}) {
    auto items = m.child_list(key);
    if (!items) return items.error();
    for (auto& item : *items) {
      if (auto err = item.check_keys({"db-name", "tbl-name"})) return err;
      table_pattern t;
      if (auto err = item.read("db-name", t.db, true)) return err;
      if (auto err = item.read("tbl-name", t.table, true)) return err;
      list->push_back(std::move(t));
    }
  }
  return caf::none;
}

caf::error parse_route(const yaml_map& m, route_rule& out) {
  if (auto err = m.check_keys({"schema-pattern", "table-pattern", "target-schema",
                               "target-table"},
                              {{"extract-table", later},
                               {"extract-schema", later},
                               {"extract-source", later}}))
    return err;
  if (auto err = m.read("schema-pattern", out.schema_pattern, true)) return err;
  if (auto err = m.read("table-pattern", out.table_pattern)) return err;
  if (auto err = m.read("target-schema", out.target_schema, true)) return err;
  return m.read("target-table", out.target_table);
}

caf::error parse_filter(const yaml_map& m, filter_rule& out) {
  if (auto err = m.check_keys({"schema-pattern", "table-pattern", "events", "sql-pattern",
                               "action"}))
    return err;
  if (auto err = m.read("schema-pattern", out.schema_pattern, true)) return err;
  if (auto err = m.read("table-pattern", out.table_pattern)) return err;
  if (auto err = m.read("events", out.events)) return err;
  if (auto err = m.read("sql-pattern", out.sql_patterns)) return err;
  if (auto err = m.read("action", out.action, true)) return err;
  if (out.events.empty() && out.sql_patterns.empty())
    return make_error(ec::invalid_config, m.where("events") + " or sql-pattern is required");
  return caf::none;
}

caf::error parse_meta(const yaml_map& m, binlog_meta& out) {
  if (auto err = m.check_keys({"binlog-name", "binlog-pos", "binlog-gtid"})) return err;
  if (auto err = m.read("binlog-name", out.binlog_name)) return err;
  if (auto err = m.read("binlog-pos", out.binlog_pos, 4)) return err;
  if (auto err = m.read("binlog-gtid", out.binlog_gtid)) return err;
  if (!out.binlog_name.empty() && !binlog_file_index(out.binlog_name))
    return make_error(ec::invalid_config, m.where("binlog-name") + " '" + out.binlog_name +
                                              "' is not a binlog file name like mysql-bin.000001");
  if (!out.binlog_gtid.empty()) {
    auto parsed = gtid_set::parse(out.binlog_gtid);
    if (!parsed)
      return make_error(ec::invalid_config, m.where("binlog-gtid") + ": " +
                                                describe(parsed.error()));
    if (out.binlog_name.empty())
      return make_error(ec::invalid_config,
                        m.where("binlog-gtid") + ": starting a task from a GTID alone is not "
                                                 "implemented yet; give binlog-name and binlog-pos");
  }
  return caf::none;
}

}  // namespace

caf::expected<task_config> parse_task_yaml(const std::string& text, const std::string& file,
                                           std::vector<std::string>& warnings) {
  auto doc = parse_yaml_document(text, file);
  if (!doc) return doc.error();
  constexpr const char* no_shards = "shard merging is not implemented yet";
  constexpr const char* no_heartbeat =
      "lag is measured from binlog event times and the relay's heartbeats";
  constexpr const char* no_online_ddl = "online schema-change tools are not handled yet";
  if (auto err = doc->take_tolerated(
          {{"is-sharding", "false", no_shards, true},
           {"shard-mode", "", no_shards, true},
           {"strict-optimistic-shard-mode", "false", no_shards, true},
           {"enable-heartbeat", "false", no_heartbeat, false},
           {"heartbeat-update-interval", nullptr, no_heartbeat, false},
           {"heartbeat-report-interval", nullptr, no_heartbeat, false},
           {"online-ddl", "false", no_online_ddl, true},
           {"online-ddl-scheme", "", no_online_ddl, true}},
          warnings))
    return err;
  if (auto err = doc->check_keys(
          {"name", "task-mode", "meta-schema", "target-database", "mysql-instances", "syncers",
           "block-allow-list", "black-white-list", "routes", "filters", "mydumpers", "loaders",
           "clean-dump-file", "ignore-checking-items"},
          {{"timezone", "rows are written in UTC; no time zone is needed"},
           {"case-sensitive", later},
           {"collation_compatible", later},
           {"column-mappings", later},
           {"expression-filter", later},
           {"validators", later},
           {"experimental", later}}))
    return err;
  task_config task;
  if (auto err = doc->read("name", task.name, true)) return err;
  if (auto err = check_name(task.name, doc->where("name"))) return err;
  std::string mode;
  if (auto err = doc->read("task-mode", mode, true)) return err;
  auto parsed_mode = task_mode_from(mode);
  if (!parsed_mode)
    return make_error(ec::invalid_config, doc->where("task-mode") +
                                              " must be full, incremental or all, got '" + mode +
                                              "'");
  task.task_mode = *parsed_mode;
  if (auto err = doc->read("meta-schema", task.meta_schema)) return err;
  if (auto err = doc->read("clean-dump-file", task.clean_dump_file)) return err;
  if (auto err = doc->read("ignore-checking-items", task.ignore_checking_items)) return err;
  for (auto& item : task.ignore_checking_items)
    if (!is_check_item_name(item))
      return make_error(ec::invalid_config, doc->where("ignore-checking-items") + ": '" + item +
                                                "' is not a precheck item; use all or one of " +
                                                check_item_names());
  if (task.meta_schema.empty() || task.meta_schema.size() > 64)
    return make_error(ec::invalid_config, doc->where("meta-schema") +
                                              " must be a database name of 1 to 64 characters");

  auto target = doc->child("target-database");
  if (!target) return target.error();
  if (!doc->has("target-database"))
    return make_error(ec::invalid_config, doc->where("target-database") + " is required");
  if (auto err = parse_db(*target, task.target_database)) return err;

  std::map<std::string, syncer_config> syncers;
  auto named = doc->named_children("syncers");
  if (!named) return named.error();
  for (auto& [name, m] : *named) {
    syncer_config s;
    if (auto err = parse_syncer(m, s, warnings)) return err;
    syncers[name] = s;
  }

  std::map<std::string, dumper_config> dumpers;
  auto named_dumpers = doc->named_children("mydumpers");
  if (!named_dumpers) return named_dumpers.error();
  for (auto& [name, m] : *named_dumpers)
    if (auto err = parse_dumper(m, dumpers[name], warnings)) return err;
  std::map<std::string, loader_config> loaders;
  auto named_loaders = doc->named_children("loaders");
  if (!named_loaders) return named_loaders.error();
  for (auto& [name, m] : *named_loaders)
    if (auto err = parse_loader(m, loaders[name])) return err;

  std::map<std::string, block_allow_rule> ba_rules;
  for (const char* key : {"block-allow-list", "black-white-list"}) {
    auto named_ba = doc->named_children(key);
    if (!named_ba) return named_ba.error();
    for (auto& [name, m] : *named_ba) {
      block_allow_rule r;
      if (auto err = parse_block_allow(m, r)) return err;
      ba_rules[name] = std::move(r);
    }
  }
  std::map<std::string, route_rule> route_rules;
  auto named_routes = doc->named_children("routes");
  if (!named_routes) return named_routes.error();
  for (auto& [name, m] : *named_routes) {
    route_rule r;
    if (auto err = parse_route(m, r)) return err;
    route_rules[name] = std::move(r);
  }
  std::map<std::string, filter_rule> filter_rules;
  auto named_filters = doc->named_children("filters");
  if (!named_filters) return named_filters.error();
  for (auto& [name, m] : *named_filters) {
    filter_rule r;
    r.name = name;
    if (auto err = parse_filter(m, r)) return err;
    filter_rules[name] = std::move(r);
  }

  auto instances = doc->child_list("mysql-instances");
  if (!instances) return instances.error();
  if (instances->empty())
    return make_error(ec::invalid_config,
                      doc->where("mysql-instances") + " must list at least one source");
  std::set<std::string> seen;
  for (auto& m : *instances) {
    if (auto err = m.check_keys(
            {"source-id", "meta", "syncer-config-name", "syncer-thread", "block-allow-list",
             "black-white-list", "route-rules", "filter-rules", "mydumper-config-name",
             "mydumper-thread", "loader-config-name", "loader-thread"},
            {{"column-mapping-rules", later},
             {"expression-filters", later},
             {"mydumper", "name a mydumpers entry with mydumper-config-name"},
             {"loader", "name a loaders entry with loader-config-name"},
             {"syncer", "name a syncers entry with syncer-config-name"},
             {"continuous-validator-config-name", later}}))
      return err;
    mysql_instance inst;
    if (auto err = m.read("source-id", inst.source_id, true)) return err;
    if (auto err = check_name(inst.source_id, m.where("source-id"))) return err;
    if (!seen.insert(inst.source_id).second)
      return make_error(ec::invalid_config,
                        m.where("source-id") + " '" + inst.source_id + "' is listed twice");
    auto meta = m.child("meta");
    if (!meta) return meta.error();
    if (auto err = parse_meta(*meta, inst.meta)) return err;
    std::string syncer_name;
    if (auto err = m.read("syncer-config-name", syncer_name)) return err;
    if (!syncer_name.empty()) {
      auto it = syncers.find(syncer_name);
      if (it == syncers.end())
        return make_error(ec::invalid_config, m.where("syncer-config-name") + " '" + syncer_name +
                                                  "' names no entry under syncers");
      inst.syncer = it->second;
    }
    if (auto err = m.read("syncer-thread", inst.syncer.worker_count, 1)) return err;
    for (auto [key, unit] : {std::make_pair("mydumper-config-name", "mydumpers"),
                             std::make_pair("loader-config-name", "loaders")}) {
      std::string name;
      if (auto err = m.read(key, name)) return err;
      if (name.empty()) continue;
      bool dumper = std::string{unit} == "mydumpers";
      bool found = dumper ? dumpers.count(name) > 0 : loaders.count(name) > 0;
      if (!found)
        return make_error(ec::invalid_config,
                          m.where(key) + " '" + name + "' names no entry under " + unit);
      if (dumper) inst.dumper = dumpers[name];
      else inst.loader = loaders[name];
    }
    if (auto err = m.read("mydumper-thread", inst.dumper.threads, 1)) return err;
    if (auto err = m.read("loader-thread", inst.loader.pool_size, 1)) return err;
    for (const char* key : {"block-allow-list", "black-white-list"}) {
      std::string ba;
      if (auto err = m.read(key, ba)) return err;
      if (ba.empty()) continue;
      auto it = ba_rules.find(ba);
      if (it == ba_rules.end())
        return make_error(ec::invalid_config,
                          m.where(key) + " '" + ba + "' names no entry under " + key);
      inst.block_allow = it->second;
    }
    std::vector<std::string> names;
    if (auto err = m.read("route-rules", names)) return err;
    for (auto& n : names) {
      auto it = route_rules.find(n);
      if (it == route_rules.end())
        return make_error(ec::invalid_config,
                          m.where("route-rules") + " '" + n + "' names no entry under routes");
      inst.routes.push_back(it->second);
    }
    names.clear();
    if (auto err = m.read("filter-rules", names)) return err;
    for (auto& n : names) {
      auto it = filter_rules.find(n);
      if (it == filter_rules.end())
        return make_error(ec::invalid_config,
                          m.where("filter-rules") + " '" + n + "' names no entry under filters");
      inst.filters.push_back(it->second);
    }
    task.mysql_instances.push_back(std::move(inst));
  }
  return task;
}

}  // namespace dm::config
