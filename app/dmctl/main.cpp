// dmctl: the admin console of dm-worker. Talks to one or more workers as CAF remote actors.
//
//   dmctl [--worker-addr HOST:PORT[,HOST:PORT...]] [--json] COMMAND [ARGS]
//   dmctl [--worker-addr ...] [--json]        interactive: one command per line
//
// Prints the answer (text, or JSON with --json) and exits 0; on any failure prints one line
// saying why (as {"result": false, "error": ...} with --json) and exits 1.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include "app/dmctl/client.hpp"
#include "app/dmctl/cluster_commands.hpp"
#include "app/dmctl/commands.hpp"
#include "app/dmctl/config_commands.hpp"
#include "app/dmctl/interactive.hpp"
#include "app/system_config.hpp"
#include "common/error.hpp"

namespace {

using namespace dm;

// Prints the answer, or the one line saying why the command failed (also as JSON with
// --json); returns the exit code.
int print(bool json, const caf::expected<dmctl::reply>& r) {
  auto dump = [](const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (!r) {
    if (json)
      std::cout << dump({{"result", false}, {"error", describe(r.error())}}) << std::endl;
    std::cerr << "dmctl: " << describe(r.error()) << std::endl;
    return 1;
  }
  if (json) std::cout << dump(r->json) << std::endl;
  else std::cout << r->text;
  return r->exit_code;
}

// After a parse error: when no command was recognised and CLI11 left a word over, "unknown
// command X; did you mean Y?" with the nearest command name.
std::optional<std::string> unknown_command_hint(const CLI::App& app) {
  if (!app.get_subcommands().empty()) return std::nullopt;
  auto left_over = app.remaining();
  if (left_over.empty() || left_over.front().empty() || left_over.front()[0] == '-')
    return std::nullopt;
  const std::string& word = left_over.front();
  // Levenshtein distance, by one row.
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
        diagonal = above;
      }
    }
    return row[b.size()];
  };
  std::string nearest;
  size_t best = std::numeric_limits<size_t>::max();
  for (const auto* sub : app.get_subcommands({})) {
    auto d = distance(word, sub->get_name());
    if (d < best) best = d, nearest = sub->get_name();
  }
  if (best > word.size() / 2 + 2) return "unknown command '" + word + "'";
  return "unknown command '" + word + "'; did you mean '" + nearest + "'?";
}

}  // namespace

// Runs one dmctl invocation; `args` are its words without the program name. `interactive` is
// set when no command is given and the caller should read commands instead.
int run_once(std::vector<std::string> args, bool* interactive) {
  CLI::App app{"dmctl: admin console of dm-worker"};
  // Global options may also follow the command (dmctl query-status t1 --json).
  app.fallthrough();
  dmctl::client_options opts;
  bool json = false;
  if (const char* env = std::getenv("DM_WORKER_ADDR")) opts.worker_addrs = env;
  std::string master_addrs;
  etcd_login etcd_user;
  if (const char* env = std::getenv("DM_ETCD_PASSWORD")) etcd_user.password = env;
  app.add_option("--worker-addr", opts.worker_addrs,
                 "worker admin endpoint(s), HOST:PORT[,HOST:PORT...] (default 127.0.0.1:8262 or "
                 "$DM_WORKER_ADDR)");
  app.add_option("--master-addr", master_addrs,
                 "a cluster's etcd endpoints, HOST:PORT[,HOST:PORT...]: sources are kept in "
                 "etcd and commands go to its live workers (endpoints that are not etcd are "
                 "taken as --worker-addr, as DM's flag was before)");
  app.add_option("--etcd-user", etcd_user.user,
                 "with --master-addr: the etcd user to log in as when etcd's auth is on");
  app.add_option("--etcd-password", etcd_user.password,
                 "the etcd user's password (default $DM_ETCD_PASSWORD, which keeps it off the "
                 "command line)");
  app.add_flag("--json", json, "print the answer as JSON");
  app.add_option("--ssl-ca", opts.ssl_ca, "TLS: the CA that signed the workers' certificates");
  app.add_option("--ssl-cert", opts.ssl_cert, "TLS: dmctl's certificate (PEM)");
  app.add_option("--ssl-key", opts.ssl_key, "TLS: dmctl's key (PEM)");
  app.add_option("--token-path", opts.token_path,
                 "file with the workers' admin token (their admin-token-path)");
  app.require_subcommand(0, 1);

  std::string action, target, source_flag;
  auto* os = app.add_subcommand("operate-source", "create, show or stop (remove) a source");
  os->add_option("action", action, "create | show | stop")
      ->required()
      ->check(CLI::IsMember({"create", "show", "stop"}));
  os->add_option("target", target, "source config file (create), or source id / config file");
  os->add_option("-s,--source", source_flag, "source id (show, stop)");
  std::string task_file;
  auto* st = app.add_subcommand("start-task", "start a task from its config file");
  st->add_option("config", task_file, "task config file (YAML)")->required();
  bool remove_meta = false;
  std::string start_time;
  st->add_option("--start-time", start_time,
                 "incremental tasks: start at the first transaction written at or after this "
                 "time (\"2021-10-21 00:01:00\" UTC, or RFC 3339)");
  st->add_flag("--remove-meta", remove_meta,
               "first remove what an earlier task of the same name left downstream (its rows "
               "in the meta schema)");
  std::string check_file;
  auto* ct = app.add_subcommand(
      "check-task", "precheck a task: upstream settings, privileges on both sides, schemas");
  ct->add_option("config", check_file, "task config file (YAML)")->required();
  std::string status_task;
  std::vector<std::string> status_sources;
  auto* qs = app.add_subcommand("query-status", "status of one task, or of all tasks and sources");
  qs->add_option("task", status_task, "task name");
  qs->add_option("-s,--source", status_sources, "only these sources (repeat or comma-separate)")
      ->delimiter(',')
      ->allow_extra_args(false);
  // DM's -s SOURCE on task commands: only the parts on these sources.
  std::vector<std::string> part_sources;
  auto add_sources = [&](CLI::App* command) {
    command->add_option("-s,--source", part_sources, "only these sources (repeat or comma-separate)")
        ->delimiter(',')
        ->allow_extra_args(false);
  };
  std::string stop_target;
  auto* sp = app.add_subcommand("stop-task", "stop a task and remove it with its checkpoints");
  sp->add_option("task", stop_target, "task name or config file")->required();
  add_sources(sp);
  auto* lm = app.add_subcommand("list-member", "the workers, their sources and tasks");
  std::string transfer_source, transfer_worker;
  auto* ts = app.add_subcommand("transfer-source",
                                "cluster: move a source to another online worker");
  ts->add_option("source", transfer_source, "source id")->required();
  ts->add_option("worker", transfer_worker, "worker name (list-member)")->required();
  std::string offline_name, offline_group = "worker";
  auto* om = app.add_subcommand("offline-member", "cluster: forget a worker that is down");
  om->add_option("--name", offline_name, "worker name (list-member)")->required();
  om->add_option("--group", offline_group, "DM's: worker (there are no masters)")
      ->check(CLI::IsMember({"worker"}));
  std::string purge_source, purge_file;
  auto* pr = app.add_subcommand(
      "purge-relay", "remove relay files before --filename (or by the source's purge rules)");
  pr->add_option("-s,--source", purge_source, "source id")->required();
  pr->add_option("--filename", purge_file, "remove relay files before this binlog file");

  std::string pause_task, resume_task;
  auto* pt = app.add_subcommand("pause-task", "stop a task's units, keeping its checkpoints");
  pt->add_option("task", pause_task, "task name")->required();
  add_sources(pt);
  auto* rt = app.add_subcommand("resume-task", "restart a paused task from its checkpoints");
  rt->add_option("task", resume_task, "task name")->required();
  add_sources(rt);
  std::string update_file;
  auto* ut = app.add_subcommand(
      "update-task",
      "change a paused task's block-allow-list, routes and filters from its config file");
  ut->add_option("config", update_file, "task config file (YAML)")->required();

  std::string key_path, plain_password;
  auto* en = app.add_subcommand(
      "encrypt", "encrypt a password for source and task configs (AES-256-GCM)");
  en->add_option("--secret-key-path", key_path,
                 "file with the workers' key: 64 hex characters (openssl rand -hex 32)")
      ->required();
  en->add_option("password", plain_password, "the plain password")->required();

  std::string error_task, error_action, error_sql;
  auto* he = app.add_subcommand(
      "handle-error", "resolve the event a paused task stopped on: skip it, or run SQL instead");
  he->add_option("task", error_task, "task name")->required();
  he->add_option("action", error_action, "skip | replace | inject")
      ->required()
      ->check(CLI::IsMember({"skip", "replace", "inject"}));
  he->add_option("sql", error_sql, "replace: the statements to run instead, ';'-separated");
  add_sources(he);
  // DM's newer name for handle-error, with the operation first: binlog skip|replace TASK [SQL].
  std::string binlog_pos;
  auto* bl = app.add_subcommand(
      "binlog", "DM's handle-error: binlog skip|replace|inject|list|revert TASK [SQL]");
  bl->add_option("operation", error_action, "skip | replace | inject | list | revert")
      ->required()
      ->check(CLI::IsMember({"skip", "replace", "inject", "list", "revert"}));
  bl->add_option("-b,--binlog-pos", binlog_pos,
                 "the event starting at file:pos (DM's relay form mysql-bin|000001.000003:4 "
                 "too), ahead of the syncer; without it, the event a part stopped on");
  bl->add_option("task", error_task, "task name")->required();
  bl->add_option("sql", error_sql, "replace: the statements to run instead, ';'-separated");
  add_sources(bl);

  std::string relay_op;
  std::vector<std::string> relay_workers;
  for (const char* op : {"start", "stop", "pause", "resume"}) {
    auto* rc = app.add_subcommand(std::string{op} + "-relay",
                                  std::string{"DM's "} + op + "-relay on the source(s) of -s");
    rc->add_option("-s,--source", part_sources, "source id(s) (repeat or comma-separate)")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->required();
    rc->add_option("worker", relay_workers,
                   "DM's worker names: a source is relayed by the worker that holds it");
    rc->callback([&relay_op, op] { relay_op = op; });
  }
  std::string schema_op, schema_task, schema_db, schema_table, schema_file;
  bool from_source = false, from_target = false;
  auto* bs = app.add_subcommand("binlog-schema",
                                "DM's binlog-schema list|update|delete TASK DB TABLE: the table "
                                "structure the syncer uses");
  bs->add_option("operation", schema_op, "list | update | delete")
      ->required()
      ->check(CLI::IsMember({"list", "update", "delete"}));
  bs->add_option("task", schema_task, "task name")->required();
  bs->add_option("database", schema_db, "upstream database")->required();
  bs->add_option("table", schema_table, "upstream table")->required();
  bs->add_option("schema-file", schema_file, "update: a CREATE TABLE file (refused, see help)");
  bs->add_flag("--from-source", from_source, "update: from the upstream's table (refused)");
  bs->add_flag("--from-target", from_target, "update: from the downstream's table");
  bs->add_flag("--flush,!--no-flush", "DM's; the syncer has nothing to flush");
  bs->add_flag("--sync,!--no-sync", "DM's; the syncer has nothing to sync");
  add_sources(bs);
  std::string locks_task;
  auto* dl = app.add_subcommand("show-ddl-locks", "shard DDL locks (shard-mode pessimistic): "
                                                  "their change, shards done and awaited");
  dl->add_option("task", locks_task, "task name");
  std::string lock_action, lock_id;
  bool force_remove = false;
  auto* sl = app.add_subcommand("shard-ddl-lock", "resolve a shard DDL lock by hand");
  sl->add_option("action", lock_action, "unlock")->required()->check(CLI::IsMember({"unlock"}));
  sl->add_option("lock-id", lock_id, "the lock's ID (show-ddl-locks)")->required();
  sl->add_flag("--force-remove", force_remove,
               "remove the lock without running its change downstream");
  auto* ul = app.add_subcommand("unlock-ddl-lock", "DM's older name of shard-ddl-lock unlock");
  ul->add_option("lock-id", lock_id, "the lock's ID (show-ddl-locks)")->required();
  ul->add_flag("--force-remove", force_remove,
               "remove the lock without running its change downstream");
  std::string config_kind, config_name, config_dir = ".";
  auto* gc = app.add_subcommand("get-config", "a task's, source's or worker's config as stored");
  gc->add_option("kind", config_kind, "task | source | worker")
      ->required()
      ->check(CLI::IsMember({"task", "source", "worker"}));
  gc->add_option("name", config_name, "its name")->required();
  std::string config_action;
  auto* cf = app.add_subcommand("config", "DM's config export|import of every source and task");
  cf->add_option("action", config_action, "export | import")
      ->required()
      ->check(CLI::IsMember({"export", "import"}));
  cf->add_option("-d,--dir", config_dir, "directory of sources/*.yaml and tasks/*.yaml");

  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes the words last first
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "dmctl: " << unknown_command_hint(app).value_or(e.what())
              << " (see dmctl --help)" << std::endl;
    return 1;
  }

  if (app.get_subcommands().empty()) {
    if (interactive) *interactive = true;
    else std::cerr << "dmctl: a command is needed (see --help)" << std::endl;
    return interactive ? 0 : 1;
  }
  if (en->parsed()) return print(json, dmctl::encrypt(key_path, plain_password));

  int tls_files = !opts.ssl_ca.empty() + !opts.ssl_cert.empty() + !opts.ssl_key.empty();
  if (tls_files != 0 && tls_files != 3)
    return print(json, make_error(ec::invalid_argument,
                                  "--ssl-ca, --ssl-cert and --ssl-key go together"));
  // A cluster: sources and members are etcd's records; the rest goes to its live workers.
  std::optional<etcd_client> etcd;
  // A cluster's start-task: what was stored in etcd, before waiting for the parts.
  std::optional<dmctl::reply> cluster_stored;
  if (!master_addrs.empty()) {
    auto cluster =
        dmctl::connect_cluster(master_addrs, {opts.ssl_ca, opts.ssl_cert, opts.ssl_key},
                               etcd_user);
    if (!cluster) return print(json, cluster.error());
    etcd = std::move(*cluster);
    if (!etcd) opts.worker_addrs = master_addrs;
  }
  if (etcd) {
    if (os->parsed() && action == "create")
      return print(json, dmctl::cluster_create_source(*etcd, target));
    if (os->parsed() && action == "stop")
      return print(json, dmctl::cluster_stop_source(*etcd, source_flag.empty() ? target
                                                                            : source_flag));
    if (lm->parsed()) return print(json, dmctl::cluster_list_member(*etcd));
    if (ts->parsed())
      return print(json, dmctl::cluster_transfer_source(*etcd, transfer_source, transfer_worker));
    if (om->parsed()) return print(json, dmctl::cluster_offline_member(*etcd, offline_name));
    if (st->parsed()) {
      if (remove_meta || !start_time.empty())
        return print(json, make_error(ec::unsupported,
                                      "--remove-meta and --start-time are not supported in a "
                                      "cluster yet"));
      auto stored = dmctl::cluster_start_task(*etcd, task_file);
      if (!stored) return print(json, stored.error());
      cluster_stored = std::move(*stored);
    }
    if (ut->parsed())
      return print(json, make_error(ec::unsupported,
                                    "update-task is not supported in a cluster yet: stop-task, "
                                    "then start-task with the new config"));
    if (sp->parsed())
      if (auto err = dmctl::cluster_forget_task(*etcd, stop_target, part_sources))
        return print(json, err);
    if (pt->parsed() || rt->parsed())
      if (auto err = dmctl::cluster_set_stage(*etcd, pt->parsed() ? pause_task : resume_task,
                                              pt->parsed(), part_sources))
        return print(json, err);
    auto live = dmctl::live_worker_addrs(*etcd);
    if (!live && cluster_stored) return print(json, std::move(*cluster_stored));
    if (!live) return print(json, live.error());
    opts.worker_addrs = *live;
  } else if (ts->parsed() || om->parsed()) {
    return print(json, make_error(ec::invalid_argument,
                                  "transfer-source and offline-member act on a cluster: give its "
                                  "etcd endpoints with --master-addr"));
  }
  caf::actor_system_config cfg;
  dm::app::configure_actor_system(cfg);
  if (tls_files == 3) dm::app::configure_tls(cfg, opts.ssl_ca, opts.ssl_cert, opts.ssl_key);
  caf::actor_system sys{cfg};
  dmctl::workers ws{sys};
  if (auto err = ws.open(opts)) return print(json, err);
  auto run = [&]() -> caf::expected<dmctl::reply> {
    if (os->parsed())
      return dmctl::operate_source(ws, action, source_flag.empty() ? target : source_flag);
    if (st->parsed() && cluster_stored) return dmctl::wait_task_parts(ws, *cluster_stored);
    if (st->parsed()) return dmctl::start_task(ws, task_file, remove_meta, start_time);
    if (ct->parsed()) return dmctl::check_task(ws, check_file);
    if (qs->parsed()) return dmctl::query_status(ws, status_task, status_sources);
    if (sp->parsed()) return dmctl::stop_task(ws, stop_target, part_sources);
    if (lm->parsed()) return dmctl::list_member(ws);
    if (pr->parsed()) return dmctl::purge_relay(ws, purge_source, purge_file);
    if (bl->parsed() && error_action == "list") return dmctl::list_errors(ws, error_task);
    if (he->parsed() || bl->parsed())
      return dmctl::handle_error(ws, error_task, error_action, error_sql, binlog_pos,
                                 part_sources);
    if (!relay_op.empty()) return dmctl::relay_command(ws, relay_op, part_sources);
    if (dl->parsed()) return dmctl::show_ddl_locks(ws, locks_task);
    if (sl->parsed() || ul->parsed()) return dmctl::unlock_ddl_lock(ws, lock_id, force_remove);
    if (bs->parsed())
      return dmctl::binlog_schema(ws, schema_op, schema_task, schema_db, schema_table,
                                  schema_file, from_source, from_target);
    if (gc->parsed()) return dmctl::get_config(ws, config_kind, config_name);
    if (cf->parsed() && config_action == "export") return dmctl::config_export(ws, config_dir);
    if (cf->parsed()) return dmctl::config_import(ws, config_dir);
    if (pt->parsed()) return dmctl::pause_task(ws, pause_task, part_sources);
    if (rt->parsed()) return dmctl::resume_task(ws, resume_task, part_sources);
    if (ut->parsed()) return dmctl::update_task(ws, update_file);
    return make_error(ec::invalid_argument, "unknown command (see dmctl --help)");
  };
  return print(json, run());
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool interactive = false;
  int code = run_once(args, &interactive);
  if (!interactive) return code;
  // The global options given on the command line apply to every command typed.
  return dm::dmctl::run_interactive([&](const std::vector<std::string>& words) {
    auto command = args;
    command.insert(command.end(), words.begin(), words.end());
    return run_once(command, nullptr);
  });
}
