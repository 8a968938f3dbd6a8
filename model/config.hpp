// The configuration model of sources and tasks, in DM's vocabulary. Plain data: dmctl parses
// YAML into it (app/config), sends it to a worker in a typed message, and the worker keeps it
// in its meta store (as JSON, see config_json.hpp) to restore after a restart.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/stages.hpp"

namespace dm {

// What a worker process is told by its worker.toml that its actors need.
struct worker_settings {
  std::string name;
  // host:port of the admin endpoint.
  std::string addr;
  // How often the relay makes its writes durable with fsync: 0 on every commit, a negative
  // value never (the OS writes them back); milliseconds.
  int64_t relay_fsync_ms = 1000;
  // The worker's data-dir (default home of dump files).
  std::string data_dir;
  // Key of passwords encrypted by `dmctl encrypt` (32 bytes; empty: passwords are plain).
  std::string secret_key;
  // Seconds before a waiting shard DDL lock is reported (actors/shard_coordinator.hpp).
  int64_t shard_lock_report_after = 300;
  // DM's `join`: etcd endpoints ("host:port,..."); empty: the worker runs alone.
  std::string join;
  // Seconds the worker's etcd lease lives without a keepalive (keepalive-ttl).
  int64_t keepalive_ttl = 10;
  // The worker's TLS files (ssl-ca, ssl-cert, ssl-key), also used towards etcd when `join`
  // names https:// endpoints.
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  // etcd's user/role auth (etcd-user, etcd-password, the password decrypted); empty user: none.
  std::string etcd_user;
  std::string etcd_password;
};

// A server connection as configured: `from` of a source, `target-database` of a task.
struct db_config {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string user = "root";
  // Plain text, or encrypted by `dmctl encrypt` (decrypted by the worker before use).
  std::string password;
  // TLS (DM's `security`): CA to verify the server, client certificate and key; PEM files.
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  // DM's `session` of the target database: (variable, value as an SQL literal) set on every
  // connection to it; variables the worker sets itself are not in it (config readers drop them).
  std::vector<std::pair<std::string, std::string>> session;
};

// Relay log purging (DM's `purge` section).
struct purge_config {
  // Seconds between automatic purge runs.
  int64_t interval = 3600;
  // Hours after which relay files are purged; 0 keeps them until no task needs them.
  int64_t expires = 0;
  // Purge when the data-dir's free space drops below this many GiB.
  int64_t remain_space = 15;
};

// DM's binlog event filters: events of the listed kinds (or statements matching the SQL
// patterns) on matching tables are ignored, are the only ones kept ("Do"), or are errors.
struct filter_rule {
  std::string name;
  std::string schema_pattern;
  std::string table_pattern;
  // Lower case DM event names: "insert", "delete", "all dml", "drop table", ...
  std::vector<std::string> events;
  std::vector<std::string> sql_patterns;
  // "Ignore", "Do" or "Error"
  std::string action;
};

// DM's `checker` of a source: how its tasks resume by themselves after a failure that retrying
// can fix (an outage of a server). Each failure doubles the delay from backoff_min up to
// backoff_max; failures older than `rollback` are forgotten, and 10 within it pause the task.
struct auto_resume_config {
  // check-enable: false pauses a task at its first failure.
  bool enabled = true;
  int64_t backoff_min_ms = 1000;
  int64_t backoff_max_ms = 60000;
  int64_t rollback_ms = 600000;
};

struct source_config {
  std::string source_id;
  // Start the relay from a GTID set (relay-binlog-gtid) rather than a file position.
  bool enable_gtid = false;
  // dm-worker always keeps a relay log; false keeps only what tasks still need.
  bool enable_relay = false;
  std::string relay_binlog_name;
  std::string relay_binlog_gtid;
  // Server id the relay registers with; 0 picks one derived from the source id.
  uint32_t server_id = 0;
  // "mysql" or "mariadb"; empty detects it from the server's version.
  std::string flavor;
  db_config from;
  purge_config purge;
  // dm-worker extensions: the upstream sends a heartbeat after this many idle seconds, and the
  // relay reconnects when nothing arrives for `read_timeout` seconds.
  int64_t heartbeat_period = 1;
  int64_t read_timeout = 30;
  // DM's `checker`: auto-resume of this source's tasks.
  auto_resume_config auto_resume;
  // DM's source-level `filters`: binlog event filters every task on this source applies before
  // its own (their names are "source.<index>").
  std::vector<filter_rule> filters;
  // DM's case-sensitive: names in `filters` match exactly (default: case-insensitively).
  bool case_sensitive = false;
  // In a cluster: the create revision of the source's binding in etcd, which names this
  // worker's ownership of it; every downstream transaction of its tasks checks it against the
  // fence row (sync/downstream_fence.hpp). 0 outside a cluster (no fence). Set by the worker,
  // never read from a file.
  int64_t cluster_epoch = 0;
};

// Where an incremental task starts (DM's `meta` of a mysql-instance).
struct binlog_meta {
  std::string binlog_name;
  uint32_t binlog_pos = 4;
  std::string binlog_gtid;

  bool empty() const { return binlog_name.empty() && binlog_gtid.empty(); }
};

// DM's `syncers` entries.
struct syncer_config {
  // Number of parallel downstream connections.
  uint32_t worker_count = 16;
  // Row changes per downstream transaction.
  uint32_t batch = 100;
  // Keep safe mode (INSERT as REPLACE, UPDATE as DELETE + REPLACE) on for the whole task.
  bool safe_mode = false;
  // dm-worker extension: MiB of row changes in flight to the downstream at most.
  uint32_t memory_budget_mb = 256;
};

// A database and table pattern: a wildcard (* and ?) or, with a leading ~, a regular
// Dump settings of a task on one source (DM's mydumpers entry).
struct dumper_config {
  // Upstream connections reading in parallel, each in the same snapshot.
  uint32_t threads = 4;
  // Rows per chunk (a key range loaded in one transaction) and per data file.
  uint32_t rows = 50000;
  // flush: FLUSH TABLES WITH READ LOCK while the connections open their snapshots (needs
  // RELOAD), so they all see one point of the binlog; none: no lock, each connection has its
  // own snapshot and the syncer replays the binlog between them in safe mode.
  dump_consistency consistency = dump_consistency::flush;
};

// Load settings of a task on one source (DM's loaders entry).
struct loader_config {
  // Downstream connections loading chunks in parallel.
  uint32_t pool_size = 16;
  // Directory for dump files ("" = "dump" under the worker's data-dir); each task and source
  // uses the subdirectory "<task>.<source>".
  std::string dir;
  // A loaded row whose key already exists downstream: replace it, ignore the new row, or
  // error (the task pauses).
  dm::on_duplicate on_duplicate = dm::on_duplicate::replace;
};

// expression; an empty table pattern matches any table.
struct table_pattern {
  std::string db;
  std::string table;
};

// DM's block-allow-list rule: which databases and tables a task replicates.
struct block_allow_rule {
  std::vector<std::string> do_dbs;
  std::vector<std::string> ignore_dbs;
  std::vector<table_pattern> do_tables;
  std::vector<table_pattern> ignore_tables;
};

// DM's extract-table/-schema/-source of a route: the part of the upstream table's (database's,
// source id's) name that `regexp` captures (its groups joined; the whole match when it has
// none) is written into downstream column `column` of every row, so that rows of the tables a
// route merges stay apart. Empty regexp: not used.
struct extract_rule {
  std::string regexp;
  std::string column;
};

// DM's routes: tables matching the patterns are written to the target database and table
// (an empty target table keeps the table's name).
struct route_rule {
  std::string schema_pattern;
  std::string table_pattern;
  std::string target_schema;
  std::string target_table;
  extract_rule extract_table, extract_schema, extract_source;
};

struct mysql_instance {
  std::string source_id;
  binlog_meta meta;
  // The resolved syncer settings (syncer-config-name, then syncer-thread).
  syncer_config syncer;
  // The resolved dump and load settings (mydumper-config-name / loader-config-name, then
  // mydumper-thread / loader-thread).
  dumper_config dumper;
  loader_config loader;
  // The resolved rules the instance names (block-allow-list, route-rules, filter-rules).
  block_allow_rule block_allow;
  std::vector<route_rule> routes;
  std::vector<filter_rule> filters;
  // The task's case-sensitive: names in these rules match exactly (default:
  // case-insensitively, as DM).
  bool case_sensitive = false;
};

// DM's online-ddl: tables that online schema-change tools (pt-online-schema-change, gh-ost)
// create beside a table are recognised by name. A shadow table's name captures the real table's
// name in its first group; a trash table is the old copy the tool drops after the swap.
struct online_ddl_config {
  bool enabled = false;
  // Regular expressions (ECMAScript, whole name) resolved from online-ddl-scheme or DM's
  // defaults when the task leaves them out.
  std::vector<std::string> shadow_table_rules;
  std::vector<std::string> trash_table_rules;
};

struct task_config {
  std::string name;
  dm::task_mode task_mode = dm::task_mode::incremental;
  // Downstream schema for the worker's own bookkeeping there (downstream_meta.hpp).
  std::string meta_schema = "dm_meta";
  // Remove a source's dump files once all of them are loaded.
  bool clean_dump_file = true;
  db_config target_database;
  std::vector<mysql_instance> mysql_instances;
  // In a cluster: the create revision of the task's record in etcd, which names this start of
  // the task; its sync checkpoints downstream carry it as their run, so rows an earlier task of
  // the same name left behind are never taken for its own. 0 outside a cluster (a random run).
  // Set by the worker, never read from a file.
  int64_t incarnation = 0;
  // In a cluster: the stage the operator gave the task's parts (pause-task, resume-task), kept
  // in etcd so that a part keeps it when its source moves: the sources whose part is paused,
  // and the etcd revision that stage was written at (0: never paused). Set by the worker's
  // cluster member, never read from a file.
  std::vector<std::string> cluster_paused;
  int64_t cluster_stage_revision = 0;
  // Precheck items not to run ("all" for every one); see check_item_names().
  std::vector<std::string> ignore_checking_items;
  online_ddl_config online_ddl;
  // DM's collation_compatible: strict: a schema change or a copied CREATE that names a character
  // set without a collation gets the upstream's default collation of the set
  // (protocol/sql/pinned_collations.hpp). Off is DM's loose: statements run as written.
  bool strict_collations = false;
  // DM's shard-mode: "" (schema changes of merged tables run as they are), "optimistic" (they
  // are merged: sync/ddl_plan.hpp shard_ddl) or "pessimistic" (each waits for every shard to
  // make it: sync/shard_locks.hpp).
  std::string shard_mode;
};

// The precheck's item names, comma-separated (actors/precheck.hpp).
inline std::string check_item_names() {
  return "version, server_id, binlog_enable, binlog_format, binlog_row_image, dump_privilege, "
         "replication_privilege, table_schema, schema_of_shard_tables, auto_increment_ID, "
         "collation, target_privilege, local_infile, online_ddl";
}
inline bool is_check_item_name(const std::string& name) {
  if (name == "all") return true;
  auto names = ", " + check_item_names() + ",";
  return names.find(", " + name + ",") != std::string::npos;
}

// The mysql-instance of `task` for `source`, or nullptr.
inline const mysql_instance* find_instance(const task_config& task, const std::string& source) {
  for (auto& inst : task.mysql_instances)
    if (inst.source_id == source) return &inst;
  return nullptr;
}

// The dump directory of `task` on `source`: "<loader dir or <data_dir>/dump>/<task>.<source>".
inline std::string dump_dir_of(const task_config& task, const std::string& source,
                               const std::string& data_dir) {
  const auto* inst = find_instance(task, source);
  auto base = !inst || inst->loader.dir.empty() ? data_dir + "/dump" : inst->loader.dir;
  return base + "/" + task.name + "." + source;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, db_config& x) {
  return f(x.host, x.port, x.user, x.password, x.ssl_ca, x.ssl_cert, x.ssl_key, x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, purge_config& x) {
  return f(x.interval, x.expires, x.remain_space);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auto_resume_config& x) {
  return f(x.enabled, x.backoff_min_ms, x.backoff_max_ms, x.rollback_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_config& x) {
  return f(x.source_id, x.enable_gtid, x.enable_relay, x.relay_binlog_name, x.relay_binlog_gtid,
           x.server_id, x.flavor, x.from, x.purge, x.heartbeat_period, x.read_timeout,
           x.auto_resume, x.filters, x.case_sensitive, x.cluster_epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, binlog_meta& x) {
  return f(x.binlog_name, x.binlog_pos, x.binlog_gtid);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, syncer_config& x) {
  return f(x.worker_count, x.batch, x.safe_mode, x.memory_budget_mb);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dumper_config& x) {
  return f(x.threads, x.rows, x.consistency);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, loader_config& x) {
  return f(x.pool_size, x.dir, x.on_duplicate);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, table_pattern& x) {
  return f(x.db, x.table);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, block_allow_rule& x) {
  return f(x.do_dbs, x.ignore_dbs, x.do_tables, x.ignore_tables);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, extract_rule& x) {
  return f(x.regexp, x.column);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_rule& x) {
  return f(x.schema_pattern, x.table_pattern, x.target_schema, x.target_table, x.extract_table,
           x.extract_schema, x.extract_source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, filter_rule& x) {
  return f(x.name, x.schema_pattern, x.table_pattern, x.events, x.sql_patterns, x.action);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mysql_instance& x) {
  return f(x.source_id, x.meta, x.syncer, x.dumper, x.loader, x.block_allow, x.routes,
           x.filters, x.case_sensitive);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, online_ddl_config& x) {
  return f(x.enabled, x.shadow_table_rules, x.trash_table_rules);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_config& x) {
  return f(x.name, x.task_mode, x.meta_schema, x.clean_dump_file, x.target_database,
           x.mysql_instances, x.incarnation, x.cluster_paused, x.cluster_stage_revision,
           x.ignore_checking_items, x.online_ddl, x.strict_collations, x.shard_mode);
}

// The server id a source's relay registers with: the configured one, or one derived from the
// source id, in a range (0x40000000..0x7fffffff) that servers and DBA-chosen ids rarely use.
inline uint32_t relay_server_id(const source_config& source) {
  if (source.server_id) return source.server_id;
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : source.source_id) h = (h ^ c) * 16777619u;
  return 0x40000000u | (h & 0x3fffffffu);
}

}  // namespace dm
