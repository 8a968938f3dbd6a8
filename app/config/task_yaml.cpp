#include "app/config/task_yaml.hpp"

#include <map>
#include <regex>
#include <set>

#include "app/config/db_yaml.hpp"
#include "app/config/dump_args.hpp"
#include "app/config/filter_yaml.hpp"
#include "app/config/yaml_map.hpp"
#include "common/ascii_case.hpp"
#include "common/error.hpp"
#include "common/position.hpp"
#include "protocol/gtid_set.hpp"
#include "sync/online_ddl.hpp"

namespace dm::config {

namespace {

constexpr const char* later = "not implemented yet; remove it";
constexpr const char* always_strict =
    "shard-mode optimistic is always strict here: what cannot be merged stops the part";
constexpr const char* no_heartbeat =
    "lag is measured from binlog event times and the relay's heartbeats";
constexpr const char* no_validator =
    "continuous validation is not implemented yet; compare tables with CHECKSUM TABLE";
constexpr const char* physical_only = "it applies to import-mode physical, which is not "
                                      "supported (loading is logical)";

void parse_syncer(yaml_map& m, syncer_config& out, problem_list& problems,
                  std::vector<std::string>& warnings) {
  constexpr const char* exactly_once =
      "a restart replays the binlog exactly once through the apply marks";
  problems.add(m.take_tolerated(
      {{"queue-size", nullptr, "in-flight work is bounded by credits per applier", false},
       {"multiple-rows", "true", "multi-row statements are always used", false},
       {"compact", "true", "changes to one row in one batch are always merged", false},
       {"checkpoint-flush-interval", nullptr,
        "the checkpoint is written in the same transaction as the changes it covers", false},
       {"safe-mode-duration", nullptr, exactly_once, false},
       {"enable-ansi-quotes", nullptr, "each DDL is read under its own event's sql_mode", false},
       {"max-retry", nullptr, "retries follow the source's checker backoff", false},
       {"auto-fix-gtid", "false", "the relay follows the upstream's GTIDs itself", false},
       {"enable-gtid", nullptr, "GTIDs are set per source (enable-gtid in the source config)",
        false},
       {"disable-detect", nullptr, "causality between rows is always tracked", false},
       {"meta-file", nullptr, "the checkpoint lives in the worker and downstream", false}},
      warnings));
  problems.add(m.check_keys({"worker-count", "batch", "safe-mode", "memory-budget"}));
  problems.add(m.read("worker-count", out.worker_count, 1));
  problems.add(m.read("batch", out.batch, 1));
  if (out.worker_count > 256) problems.add(m.where("worker-count") + " must be at most 256");
  problems.add(m.read("memory-budget", out.memory_budget_mb, 16));
  problems.add(m.read("safe-mode", out.safe_mode));
}

void parse_dumper(yaml_map& m, dumper_config& out, problem_list& problems,
                  std::vector<std::string>& warnings) {
  problems.add(m.take_tolerated(
      {{"chunk-filesize", nullptr, "chunks are sized by rows; use rows", false},
       {"statement-size", nullptr, "statements are sized by the downstream's "
                                   "max_allowed_packet", false},
       {"skip-tz-utc", nullptr, "dumps are always read and written in UTC", false},
       {"mydumper-path", nullptr, "the dump is read by the worker itself", false},
       {"where", "", "a WHERE on the copy would leave the downstream different from the "
                     "upstream", true}},
      warnings));
  problems.add(m.check_keys({"threads", "rows", "extra-args"}));
  problems.add(m.read("threads", out.threads, 1));
  // DM's rows: 0 means "its default"; so it does here.
  uint32_t rows = 0;
  problems.add(m.read("rows", rows));
  if (rows > 0) out.rows = rows;
  if (out.threads > 128) problems.add(m.where("threads") + " must be at most 128");
  std::string extra;
  problems.add(m.read("extra-args", extra));
  apply_dump_args(extra, m.where("extra-args"), out, problems, warnings);
}

void parse_loader(yaml_map& m, loader_config& out, problem_list& problems,
                  std::vector<std::string>& warnings) {
  problems.add(m.take_tolerated(
      {{"on-duplicate-physical", "none", physical_only, false},
       {"disk-quota-physical", "0", physical_only, false},
       {"checksum-physical", "required", physical_only, false},
       {"analyze", "optional|off", physical_only, false},
       {"range-concurrency", "0", physical_only, false},
       {"compress-kv-pairs", "", physical_only, false},
       {"pd-addr", "", physical_only, false},
       {"sorting-dir-physical", "", physical_only, false},
       {"sql-mode", nullptr, "rows are loaded under the worker's own exact sql_mode", false}},
      warnings));
  problems.add(m.check_keys({"pool-size", "dir", "on-duplicate", "on-duplicate-logical",
                             "import-mode"}));
  problems.add(m.read("pool-size", out.pool_size, 1));
  if (out.pool_size > 256) problems.add(m.where("pool-size") + " must be at most 256");
  problems.add(m.read("dir", out.dir));
  for (const char* key : {"on-duplicate", "on-duplicate-logical"}) {
    std::string text = to_string(out.on_duplicate);
    if (problems.add(m.read(key, text))) continue;
    auto value = on_duplicate_from(text);
    if (value) out.on_duplicate = *value;
    else problems.add(m.where(key) + " must be replace, ignore or error, got '" + text + "'");
  }
  std::string mode = "logical";
  problems.add(m.read("import-mode", mode));
  if (mode != "logical" && mode != "sql" && mode != "loader")
    problems.add(m.where("import-mode") + " '" + mode +
                 "' is not supported; only logical (SQL) loading is");
}

void parse_block_allow(const yaml_map& m, block_allow_rule& out, problem_list& problems) {
  problems.add(m.check_keys({"do-dbs", "ignore-dbs", "do-tables", "ignore-tables"}));
  problems.add(m.read("do-dbs", out.do_dbs));
  problems.add(m.read("ignore-dbs", out.ignore_dbs));
  for (auto [key, list] : {std::make_pair("do-tables", &out.do_tables),
                           std::make_pair("ignore-tables", &out.ignore_tables)}) {
    auto items = m.child_list(key);
    if (problems.failed(items)) continue;
    for (auto& item : *items) {
      problems.add(item.check_keys({"db-name", "tbl-name"}));
      table_pattern t;
      problems.add(item.read("db-name", t.db, true));
      problems.add(item.read("tbl-name", t.table, true));
      list->push_back(std::move(t));
    }
  }
}

// A route's extract-table/-schema/-source block: its regexp (key `regexp_key`) and
// target-column.
void parse_extract(const yaml_map& route, const char* key, const char* regexp_key,
                   extract_rule& out, problem_list& problems) {
  if (!route.has(key)) return;
  auto block = route.child(key);
  if (problems.failed(block)) return;
  problems.add(block->check_keys({regexp_key, "target-column"}));
  problems.add(block->read(regexp_key, out.regexp, true));
  problems.add(block->read("target-column", out.column, true));
  if (out.regexp.empty()) return;
  try {
    std::regex{out.regexp, std::regex::ECMAScript};
  } catch (const std::regex_error& e) {
    problems.add(block->where(regexp_key) + ": '" + out.regexp +
                 "' is not a valid regular expression (" + e.what() + ")");
  }
}

void parse_route(const yaml_map& m, route_rule& out, problem_list& problems) {
  problems.add(m.check_keys({"schema-pattern", "table-pattern", "target-schema", "target-table",
                             "extract-table", "extract-schema", "extract-source"}));
  problems.add(m.read("schema-pattern", out.schema_pattern, true));
  problems.add(m.read("table-pattern", out.table_pattern));
  problems.add(m.read("target-schema", out.target_schema, true));
  problems.add(m.read("target-table", out.target_table));
  parse_extract(m, "extract-table", "table-regexp", out.extract_table, problems);
  parse_extract(m, "extract-schema", "schema-regexp", out.extract_schema, problems);
  parse_extract(m, "extract-source", "source-regexp", out.extract_source, problems);
}

void parse_meta(const yaml_map& m, binlog_meta& out, problem_list& problems) {
  problems.add(m.check_keys({"binlog-name", "binlog-pos", "binlog-gtid"}));
  problems.add(m.read("binlog-name", out.binlog_name));
  problems.add(m.read("binlog-pos", out.binlog_pos, 4));
  problems.add(m.read("binlog-gtid", out.binlog_gtid));
  if (!out.binlog_name.empty() && !binlog_file_index(out.binlog_name))
    problems.add(m.where("binlog-name") + " '" + out.binlog_name +
                 "' is not a binlog file name like mysql-bin.000001");
  if (!out.binlog_gtid.empty()) {
    auto parsed = gtid_set::parse(out.binlog_gtid);
    if (!parsed) problems.add(m.where("binlog-gtid") + ": " + describe(parsed.error()));
  }
}

// DM's `validators`: accepted when every one is off (mode none).
void parse_validators(const yaml_map& doc, std::set<std::string>& names, problem_list& problems) {
  auto named = doc.named_children("validators");
  if (problems.failed(named)) return;
  for (auto& [name, m] : *named) {
    names.insert(name);
    problems.add(m.check_keys({"mode", "worker-count", "validate-interval", "check-interval",
                               "row-error-delay", "meta-flush-interval", "batch-query-size",
                               "max-pending-row-size", "max-pending-row-count"}));
    std::string mode = "none";
    problems.add(m.read("mode", mode));
    if (mode != "none" && !mode.empty())
      problems.add(m.where("mode") + ": '" + mode + "' is not supported: " + no_validator +
                   "; use mode none");
  }
}

// online-ddl, DM's older online-ddl-scheme, and the table rules (sync/online_ddl.hpp).
void parse_online_ddl(const yaml_map& doc, online_ddl_config& out, problem_list& problems,
                      std::vector<std::string>& warnings) {
  bool enabled = false;
  std::string scheme;
  problems.add(doc.read("online-ddl", enabled));
  problems.add(doc.read("online-ddl-scheme", scheme));
  if (!scheme.empty() && scheme != "pt" && scheme != "gh-ost") {
    problems.add(doc.where("online-ddl-scheme") + " must be pt or gh-ost, got '" + scheme + "'");
    scheme.clear();
  } else if (!scheme.empty()) {
    warnings.push_back(doc.where("online-ddl-scheme") + " is DM's older form of online-ddl: "
                       "true; it is read as online-ddl: true with " + scheme + "'s table names");
    enabled = true;
  }
  std::vector<std::string> shadow, trash;
  problems.add(doc.read("shadow-table-rules", shadow));
  problems.add(doc.read("trash-table-rules", trash));
  if (!enabled) {
    for (const char* key : {"shadow-table-rules", "trash-table-rules"})
      if (doc.has(key))
        warnings.push_back(doc.where(key) + " has no effect: online-ddl is off");
    return;
  }
  out = default_online_ddl(scheme);
  if (!shadow.empty()) out.shadow_table_rules = std::move(shadow);
  if (!trash.empty()) out.trash_table_rules = std::move(trash);
  if (auto compiled = online_ddl_rules::compile(out); !compiled)
    problems.add(doc.file() + ": " + describe(compiled.error()));
}

// One named section (syncers, mydumpers, loaders): each entry parsed by `parse`.
template <class Config, class Parse>
std::map<std::string, Config> parse_section(yaml_map& doc, const char* key, problem_list& problems,
                                            Parse parse) {
  std::map<std::string, Config> out;
  auto named = doc.named_children(key);
  if (problems.failed(named)) return out;
  for (auto& [name, m] : *named) parse(m, out[name]);
  return out;
}

// The unit settings of one instance: `name_key` names an entry of `section`, or `inline_key`
// holds them inline (DM allows either).
template <class Config, class Parse>
void resolve_unit(yaml_map& inst, const char* name_key, const char* inline_key,
                  const char* section, const std::map<std::string, Config>& entries, Config& out,
                  problem_list& problems, Parse parse) {
  std::string name;
  problems.add(inst.read(name_key, name));
  if (!name.empty() && inst.has(inline_key)) {
    problems.add(inst.where(inline_key) + " and " + name_key + " are both given; keep one");
    return;
  }
  if (!name.empty()) {
    auto it = entries.find(name);
    if (it == entries.end())
      problems.add(inst.where(name_key) + " '" + name + "' names no entry under " + section);
    else
      out = it->second;
  } else if (inst.has(inline_key)) {
    auto block = inst.child(inline_key);
    if (!problems.failed(block)) parse(*block, out);
  }
}

}  // namespace

caf::expected<task_config> parse_task_yaml(const std::string& text, const std::string& file,
                                           std::vector<std::string>& warnings) {
  problem_list problems;
  auto doc = parse_yaml_document(text, file, problems);
  if (!doc) return doc.error();
  problems.add(doc->take_tolerated(
      // This optimistic mode is DM's strict one: what cannot be merged always stops the part.
      {{"strict-optimistic-shard-mode", "false|true", always_strict, true},
       {"enable-heartbeat", "false", no_heartbeat, false},
       {"heartbeat-update-interval", nullptr, no_heartbeat, false},
       {"heartbeat-report-interval", nullptr, no_heartbeat, false},
       {"timezone", "",
        "binlog TIMESTAMP values are UTC and are written as UTC; each DDL runs in its event's "
        "time zone", false},
       {"remove-meta", "false", "use dmctl start-task --remove-meta", true},
       {"ansi-quotes", nullptr, "each DDL is read under its own event's sql_mode", false},
       {"experimental", nullptr, "no experimental features are switched by the task", false}},
      warnings));
  problems.add(doc->check_keys(
      {"name", "task-mode", "meta-schema", "target-database", "mysql-instances", "syncers",
       "block-allow-list", "black-white-list", "routes", "filters", "mydumpers", "loaders",
       "clean-dump-file", "ignore-checking-items", "validators", "online-ddl",
       "online-ddl-scheme", "shadow-table-rules", "trash-table-rules", "case-sensitive",
       "collation_compatible", "shard-mode", "is-sharding"},
      {{"column-mappings", later}, {"expression-filter", later}}));
  task_config task;
  problems.add(doc->read("name", task.name, true));
  if (!task.name.empty()) problems.add(check_name(task.name, doc->where("name")));
  std::string mode;
  if (!problems.add(doc->read("task-mode", mode, true))) {
    auto parsed_mode = task_mode_from(mode);
    if (parsed_mode) task.task_mode = *parsed_mode;
    else
      problems.add(doc->where("task-mode") + " must be full, incremental or all, got '" + mode +
                   "'");
  }
  problems.add(doc->read("meta-schema", task.meta_schema));
  bool case_sensitive = false;
  problems.add(doc->read("case-sensitive", case_sensitive));
  problems.add(doc->read("clean-dump-file", task.clean_dump_file));
  // DM's shard-mode (is-sharding: true alone is DM's older spelling of pessimistic).
  bool is_sharding = false;
  problems.add(doc->read("is-sharding", is_sharding));
  if (!problems.add(doc->read("shard-mode", task.shard_mode))) {
    task.shard_mode = ascii_lower(task.shard_mode);
    if (is_sharding && task.shard_mode.empty()) task.shard_mode = "pessimistic";
    if (!task.shard_mode.empty() && task.shard_mode != "optimistic" &&
        task.shard_mode != "pessimistic")
      problems.add(doc->where("shard-mode") + " must be optimistic or pessimistic, got '" +
                   task.shard_mode + "'");
  }
  std::string collations;
  if (!problems.add(doc->read("collation_compatible", collations))) {
    auto mode = ascii_lower(collations);
    if (mode == "strict") task.strict_collations = true;
    else if (!mode.empty() && mode != "loose")
      problems.add(doc->where("collation_compatible") + " must be loose or strict, got '" +
                   collations + "'");
  }
  problems.add(doc->read("ignore-checking-items", task.ignore_checking_items));
  for (auto& item : task.ignore_checking_items)
    if (!is_check_item_name(item))
      problems.add(doc->where("ignore-checking-items") + ": '" + item +
                   "' is not a precheck item; use all or one of " + check_item_names());
  if (task.meta_schema.empty() || task.meta_schema.size() > 64)
    problems.add(doc->where("meta-schema") + " must be a database name of 1 to 64 characters");

  auto target = doc->child("target-database");
  if (!problems.failed(target)) {
    if (!doc->has("target-database")) problems.add(doc->where("target-database") + " is required");
    else parse_db(*target, task.target_database, true, problems, warnings);
  }

  auto syncers = parse_section<syncer_config>(*doc, "syncers", problems,
                                              [&](yaml_map& m, syncer_config& s) {
                                                parse_syncer(m, s, problems, warnings);
                                              });
  auto dumpers = parse_section<dumper_config>(*doc, "mydumpers", problems,
                                              [&](yaml_map& m, dumper_config& d) {
                                                parse_dumper(m, d, problems, warnings);
                                              });
  auto loaders = parse_section<loader_config>(*doc, "loaders", problems,
                                              [&](yaml_map& m, loader_config& l) {
                                                parse_loader(m, l, problems, warnings);
                                              });
  std::map<std::string, block_allow_rule> ba_rules;
  for (const char* key : {"block-allow-list", "black-white-list"}) {
    auto rules = parse_section<block_allow_rule>(*doc, key, problems,
                                                 [&](yaml_map& m, block_allow_rule& r) {
                                                   parse_block_allow(m, r, problems);
                                                 });
    ba_rules.insert(rules.begin(), rules.end());
  }
  auto route_rules = parse_section<route_rule>(*doc, "routes", problems,
                                               [&](yaml_map& m, route_rule& r) {
                                                 parse_route(m, r, problems);
                                               });
  std::map<std::string, filter_rule> filter_rules;
  auto named_filters = doc->named_children("filters");
  if (!problems.failed(named_filters))
    for (auto& [name, m] : *named_filters) {
      filter_rule r;
      r.name = name;
      parse_filter(m, r, problems);
      filter_rules[name] = std::move(r);
    }
  std::set<std::string> validators;
  parse_validators(*doc, validators, problems);
  parse_online_ddl(*doc, task.online_ddl, problems, warnings);
  if (task.online_ddl.enabled && task.shard_mode == "pessimistic")
    problems.add(doc->where("online-ddl") + ": an online schema change swaps a shard's table "
                 "in one step, which DDL locks cannot hold (shard-mode: pessimistic); use "
                 "shard-mode: optimistic with online-ddl, or turn online-ddl off");

  auto instances = doc->child_list("mysql-instances");
  if (problems.failed(instances)) return problems.result();
  if (instances->empty())
    problems.add(doc->where("mysql-instances") + " must list at least one source");
  std::set<std::string> seen;
  for (auto& m : *instances) {
    problems.add(m.take_tolerated(
        {{"continuous-validator-config-name", "", no_validator, true}}, warnings));
    problems.add(m.check_keys(
        {"source-id", "meta", "syncer-config-name", "syncer", "syncer-thread",
         "block-allow-list", "black-white-list", "route-rules", "filter-rules",
         "mydumper-config-name", "mydumper", "mydumper-thread", "loader-config-name", "loader",
         "loader-thread", "validator-config-name"},
        {{"column-mapping-rules", later}, {"expression-filters", later}}));
    mysql_instance inst;
    inst.case_sensitive = case_sensitive;
    problems.add(m.read("source-id", inst.source_id, true));
    if (!inst.source_id.empty()) {
      problems.add(check_name(inst.source_id, m.where("source-id")));
      if (!seen.insert(inst.source_id).second)
        problems.add(m.where("source-id") + " '" + inst.source_id + "' is listed twice");
    }
    auto meta = m.child("meta");
    if (!problems.failed(meta)) parse_meta(*meta, inst.meta, problems);
    resolve_unit(m, "syncer-config-name", "syncer", "syncers", syncers, inst.syncer, problems,
                 [&](yaml_map& b, syncer_config& s) { parse_syncer(b, s, problems, warnings); });
    resolve_unit(m, "mydumper-config-name", "mydumper", "mydumpers", dumpers, inst.dumper,
                 problems,
                 [&](yaml_map& b, dumper_config& d) { parse_dumper(b, d, problems, warnings); });
    resolve_unit(m, "loader-config-name", "loader", "loaders", loaders, inst.loader, problems,
                 [&](yaml_map& b, loader_config& l) { parse_loader(b, l, problems, warnings); });
    problems.add(m.read("syncer-thread", inst.syncer.worker_count, 1));
    problems.add(m.read("mydumper-thread", inst.dumper.threads, 1));
    problems.add(m.read("loader-thread", inst.loader.pool_size, 1));
    std::string validator;
    problems.add(m.read("validator-config-name", validator));
    if (!validator.empty() && !validators.count(validator))
      problems.add(m.where("validator-config-name") + " '" + validator +
                   "' names no entry under validators");
    for (const char* key : {"block-allow-list", "black-white-list"}) {
      std::string ba;
      problems.add(m.read(key, ba));
      if (ba.empty()) continue;
      auto it = ba_rules.find(ba);
      if (it == ba_rules.end())
        problems.add(m.where(key) + " '" + ba + "' names no entry under " + key);
      else
        inst.block_allow = it->second;
    }
    std::vector<std::string> names;
    problems.add(m.read("route-rules", names));
    for (auto& n : names) {
      auto it = route_rules.find(n);
      if (it == route_rules.end())
        problems.add(m.where("route-rules") + " '" + n + "' names no entry under routes");
      else
        inst.routes.push_back(it->second);
    }
    names.clear();
    problems.add(m.read("filter-rules", names));
    for (auto& n : names) {
      auto it = filter_rules.find(n);
      if (it == filter_rules.end())
        problems.add(m.where("filter-rules") + " '" + n + "' names no entry under filters");
      else
        inst.filters.push_back(it->second);
    }
    task.mysql_instances.push_back(std::move(inst));
  }
  if (auto err = problems.result()) return err;
  return task;
}

}  // namespace dm::config
