// dmctl: the admin console of dm-worker. Talks to one or more workers as CAF remote actors.
//
//   dmctl [--worker-addr HOST:PORT[,HOST:PORT...]] [--json] COMMAND [ARGS]
//   dmctl [--worker-addr ...] [--json]        interactive: one command per line
//
// Prints the answer (text, or JSON with --json) and exits 0; on any failure prints one line
// saying why (as {"result": false, "error": ...} with --json) and exits 1.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "actors/admin_gate.hpp"
#include "actors/interfaces.hpp"
#include "app/config/source_yaml.hpp"
#include "app/config/task_yaml.hpp"
#include "app/config/worker_toml.hpp"
#include "app/dmctl/interactive.hpp"
#include "app/dmctl/reachability.hpp"
#include "app/dmctl/render.hpp"
#include "app/system_config.hpp"
#include "common/defaults.hpp"
#include "common/error.hpp"
#include "protocol/password_cipher.hpp"

namespace {

using namespace dm;

constexpr auto request_timeout = dm::defaults::dmctl_request_timeout;
// A worker that does not accept a TCP connection within this is reported unreachable.
constexpr auto connect_timeout = dm::defaults::dmctl_connect_timeout;

struct options {
  std::string worker_addrs = "127.0.0.1:8262";
  bool json = false;
  // TLS to the workers (all three or none), and the file with their admin token.
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  std::string token_path;
};

struct failure {
  std::string message;
};

[[noreturn]] void fail(std::string message) { throw failure{std::move(message)}; }

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  if (!in) fail("cannot read file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string file_name(const std::string& path) {
  return std::filesystem::path{path}.filename().string();
}

// A worker's admin endpoint: its gate (actors/admin_gate.hpp) and the token commands carry.
struct endpoint {
  caf::actor gate;
  std::string token;
};

// The workers named on the command line, connected lazily (over TLS when configured).
class workers {
 public:
  workers(caf::actor_system& sys, const options& opts) : sys_(sys), tls_(!opts.ssl_ca.empty()) {
    std::stringstream in{opts.worker_addrs};
    for (std::string item; std::getline(in, item, ',');) {
      if (item.empty()) continue;
      auto hp = config::parse_host_port(item, "--worker-addr");
      if (!hp) fail(describe(hp.error()));
      addrs_.push_back(item);
      parsed_.push_back(*hp);
    }
    if (addrs_.empty()) fail("--worker-addr names no worker");
    if (!opts.token_path.empty()) {
      auto token = read_admin_token(opts.token_path);
      if (!token) fail(describe(token.error()));
      token_ = std::move(*token);
    }
  }

  size_t size() const { return addrs_.size(); }
  const std::string& addr(size_t i) const { return addrs_[i]; }

  // The worker's endpoint, or the reason it cannot be reached.
  caf::expected<endpoint> handle(size_t i) {
    auto it = gates_.find(i);
    if (it != gates_.end()) return endpoint{it->second, token_};
    auto& hp = parsed_[i];
    if (auto why = dmctl::probe_tcp(hp.host, hp.port, connect_timeout); !why.empty())
      return make_error(ec::unavailable, "cannot reach dm-worker at " + addrs_[i] + " (" + why +
                                             "); is it running and is --worker-addr right?");
    auto gate = tls_ ? caf::openssl::remote_actor(sys_, hp.host, hp.port)
                     : sys_.middleman().remote_actor(hp.host, hp.port);
    if (!gate)
      return make_error(ec::unavailable,
                        "cannot reach dm-worker at " + addrs_[i] + " (" +
                            sys_.render(gate.error()) + "); is it running, is --worker-addr "
                            "right, and do --ssl-ca/--ssl-cert/--ssl-key match its TLS?");
    gates_.emplace(i, *gate);
    return endpoint{*gate, token_};
  }

  endpoint require(size_t i) {
    auto h = handle(i);
    if (!h) fail(describe(h.error()));
    return *h;
  }

 private:
  caf::actor_system& sys_;
  bool tls_;
  std::string token_;
  std::vector<std::string> addrs_;
  std::vector<config::host_port> parsed_;
  std::map<size_t, caf::actor> gates_;
};

// Sends a command of the worker's interface through its gate and waits for the answer; returns
// the answer or its error. The command is checked against worker_actor at compile time.
template <class Result, class... Ts>
caf::expected<Result> ask(caf::actor_system& sys, const endpoint& w, Ts&&... xs) {
  static_assert(caf::response_type_unbox<caf::signatures_of_t<worker_actor>,
                                         caf::detail::type_list<std::decay_t<Ts>...>>::valid,
                "not a command of worker_actor");
  caf::scoped_actor self{sys};
  caf::expected<Result> out{caf::error{}};
  self->request(w.gate, request_timeout, admin_atom_v, w.token,
                caf::make_message(std::forward<Ts>(xs)...))
      .receive([&](Result& r) { out = std::move(r); }, [&](caf::error& e) { out = e; });
  return out;
}

// Prints why the command failed (also as JSON with --json); returns the exit code.
int report(const options& opts, const failure& f) {
  if (opts.json)
    std::cout << nlohmann::json{{"result", false}, {"error", f.message}}.dump(
                     2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  std::cerr << "dmctl: " << f.message << std::endl;
  return 1;
}

void print(const options& opts, const nlohmann::json& json, const std::string& text) {
  if (opts.json)
    std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  else
    std::cout << text;
}

int run_operate_source(caf::actor_system& sys, const options& opts, workers& ws,
                       const std::string& action, const std::string& target) {
  if (action == "create") {
    if (target.empty()) fail("operate-source create needs a source config file");
    auto cfg = config::parse_source_yaml(read_file(target), file_name(target));
    if (!cfg) fail(describe(cfg.error()));
    // A new source is bound to the first worker listed.
    auto status = ask<source_status>(sys, ws.require(0), operate_source_atom_v, create_atom_v, *cfg);
    if (!status) fail(describe(status.error()));
    print(opts, {{"result", true}, {"sources", {dmctl::to_json(*status)}}},
          "created " + dmctl::to_text(*status));
    return 0;
  }
  std::string id = target;
  if (!id.empty() && std::filesystem::is_regular_file(id)) {
    auto cfg = config::parse_source_yaml(read_file(id), file_name(id));
    if (!cfg) fail(describe(cfg.error()));
    id = cfg->source_id;
  }
  if (action == "stop" && id.empty()) fail("operate-source stop needs a source id or config file");
  std::vector<source_status> found;
  std::string last_error;
  for (size_t i = 0; i < ws.size(); ++i) {
    auto w = ws.require(i);
    if (action == "show") {
      auto r = ask<std::vector<source_status>>(sys, w, operate_source_atom_v, show_atom_v, id);
      if (r) found.insert(found.end(), r->begin(), r->end());
      else if (code_of(r.error()) != ec::not_found) fail(describe(r.error()));
      else last_error = describe(r.error());
    } else {
      auto r = ask<source_status>(sys, w, operate_source_atom_v, stop_atom_v, id);
      if (r) found.push_back(*r);
      else if (code_of(r.error()) != ec::not_found) fail(describe(r.error()));
      else last_error = describe(r.error());
    }
  }
  if (found.empty() && !id.empty()) fail(ws.size() == 1 ? last_error
                                                        : "source " + id + " exists on no worker");
  auto list = nlohmann::json::array();
  std::string text;
  for (auto& s : found) {
    list.push_back(dmctl::to_json(s));
    text += (action == "stop" ? "stopped and removed " : "") + dmctl::to_text(s);
  }
  if (found.empty()) text = "no sources\n";
  print(opts, {{"result", true}, {"sources", list}}, text);
  return 0;
}

task_config read_task(const std::string& path) {
  std::vector<std::string> warnings;
  auto cfg = config::parse_task_yaml(read_file(path), file_name(path), warnings);
  if (!cfg) fail(describe(cfg.error()));
  for (auto& w : warnings) std::cerr << "dmctl: warning: " << w << std::endl;
  return std::move(*cfg);
}

// The workers (indexes into `ws`) holding the task's sources; fails if a source is on none.
std::set<size_t> workers_of(caf::actor_system& sys, const options& opts, workers& ws,
                            const task_config& cfg) {
  std::map<std::string, size_t> owner;
  for (size_t i = 0; i < ws.size(); ++i) {
    auto members = ask<std::vector<member_info>>(sys, ws.require(i), list_member_atom_v);
    if (!members) fail(describe(members.error()));
    for (auto& m : *members)
      for (auto& s : m.sources) owner.emplace(s, i);
  }
  std::set<size_t> targets;
  for (auto& inst : cfg.mysql_instances) {
    auto it = owner.find(inst.source_id);
    if (it == owner.end())
      fail("task " + cfg.name + " names source " + inst.source_id + ", which no worker at " +
           opts.worker_addrs + " has; create it first with operate-source create");
    targets.insert(it->second);
  }
  return targets;
}

// check-task: the precheck on every worker holding a source of the task; exits 1 when an item
// failed (after printing them all).
int run_check_task(caf::actor_system& sys, const options& opts, workers& ws,
                   const std::string& path) {
  auto cfg = read_task(path);
  std::vector<check_item> items;
  for (auto i : workers_of(sys, opts, ws, cfg)) {
    auto part = ask<std::vector<check_item>>(sys, ws.require(i), check_task_atom_v, cfg);
    if (!part) fail(describe(part.error()));
    items.insert(items.end(), part->begin(), part->end());
  }
  auto json = dmctl::to_json(items);
  print(opts, json, dmctl::to_text(items));
  return json["result"].get<bool>() ? 0 : 1;
}

int run_start_task(caf::actor_system& sys, const options& opts, workers& ws,
                   const std::string& path, bool remove_meta) {
  auto cfg = read_task(path);
  std::vector<status_reply> replies;
  for (auto i : workers_of(sys, opts, ws, cfg)) {
    auto status = ask<task_status>(sys, ws.require(i), start_task_atom_v, cfg, remove_meta);
    if (!status) fail(describe(status.error()));
    replies.push_back(status_reply{{*status}, {}});
  }
  auto merged = dmctl::merge(replies);
  print(opts, dmctl::to_json(merged), "started " + dmctl::to_text(merged));
  return 0;
}

int run_query_status(caf::actor_system& sys, const options& opts, workers& ws,
                     const std::string& task) {
  std::vector<status_reply> replies;
  std::string not_found;
  for (size_t i = 0; i < ws.size(); ++i) {
    auto r = ask<status_reply>(sys, ws.require(i), query_status_atom_v, task);
    if (r) replies.push_back(std::move(*r));
    else if (code_of(r.error()) == ec::not_found) not_found = describe(r.error());
    else fail(describe(r.error()));
  }
  if (!task.empty() && replies.empty())
    fail(ws.size() == 1 ? not_found : "task " + task + " exists on no worker");
  auto merged = dmctl::merge(replies);
  if (!task.empty()) {
    // Sources of other tasks are noise when asking about one task.
    std::set<std::string> used;
    for (auto& t : merged.tasks)
      for (auto& s : t.subtasks) used.insert(s.source_id);
    std::vector<source_status> keep;
    for (auto& s : merged.sources)
      if (used.count(s.source_id)) keep.push_back(s);
    merged.sources = std::move(keep);
  }
  print(opts, dmctl::to_json(merged), dmctl::to_text(merged));
  return 0;
}

int run_stop_task(caf::actor_system& sys, const options& opts, workers& ws,
                  const std::string& target) {
  std::string name = target;
  if (std::filesystem::is_regular_file(target)) {
    std::vector<std::string> warnings;
    auto cfg = config::parse_task_yaml(read_file(target), file_name(target), warnings);
    if (!cfg) fail(describe(cfg.error()));
    name = cfg->name;
  }
  bool stopped = false;
  std::string not_found;
  std::vector<std::string> stop_warnings;
  for (size_t i = 0; i < ws.size(); ++i) {
    auto r = ask<task_status>(sys, ws.require(i), stop_task_atom_v, name);
    if (r) {
      stopped = true;
      for (auto& s : r->subtasks)
        for (auto& w : s.warnings) stop_warnings.push_back("source " + s.source_id + ": " + w);
    }
    else if (code_of(r.error()) == ec::not_found) not_found = describe(r.error());
    else fail(describe(r.error()));
  }
  if (!stopped) fail(ws.size() == 1 ? not_found : "task " + name + " exists on no worker");
  nlohmann::json warnings = nlohmann::json::array();
  std::string text = "task " + name + " stopped and removed\n";
  for (auto& w : stop_warnings) {
    warnings.push_back(w);
    text += "warning: " + w + "\n";
  }
  print(opts, {{"result", true}, {"task", name}, {"stage", "Stopped"}, {"warnings", warnings}},
        text);
  return 0;
}

int run_purge_relay(caf::actor_system& sys, const options& opts, workers& ws,
                    const std::string& source, const std::string& file) {
  if (source.empty()) fail("purge-relay needs -s SOURCE");
  std::string not_found;
  for (size_t i = 0; i < ws.size(); ++i) {
    auto r = ask<purge_result>(sys, ws.require(i), purge_relay_atom_v, source, file);
    if (r) {
      auto json = dmctl::to_json(*r);
      json["result"] = true;
      print(opts, json, dmctl::to_text(*r));
      return 0;
    }
    if (code_of(r.error()) != ec::not_found) fail(describe(r.error()));
    not_found = describe(r.error());
  }
  fail(ws.size() == 1 ? not_found : "source " + source + " exists on no worker");
}

// Sends `xs...` to every worker and merges the task statuses of those that answered. A refusal
// whose code is in `passed_over` (the worker does not run the task, or has nothing to do) is
// passed over; when every worker refused, fails with `nobody(last refusal)`.
template <class... Ts>
status_reply ask_every_worker(caf::actor_system& sys, workers& ws,
                              std::initializer_list<ec> passed_over,
                              const std::function<std::string(const std::string&)>& nobody,
                              Ts... xs) {
  std::vector<status_reply> replies;
  std::string refusal;
  for (size_t i = 0; i < ws.size(); ++i) {
    auto r = ask<task_status>(sys, ws.require(i), xs...);
    if (r) {
      replies.push_back(status_reply{{std::move(*r)}, {}});
      continue;
    }
    auto code = code_of(r.error());
    if (std::find(passed_over.begin(), passed_over.end(), code) == passed_over.end())
      fail(describe(r.error()));
    refusal = describe(r.error());
  }
  if (replies.empty()) fail(nobody(refusal));
  return dmctl::merge(replies);
}

int run_handle_error(caf::actor_system& sys, const options& opts, workers& ws,
                     const std::string& task, const std::string& action,
                     const std::string& sql) {
  if (error_action_from(action) == error_action::replace && sql.empty())
    fail("handle-error " + task + " replace needs the SQL to run instead, e.g. "
         "handle-error " + task + " replace \"ALTER TABLE ...; ...\"");
  auto merged = ask_every_worker(
      sys, ws, {ec::not_found, ec::invalid_state}, [](const std::string& r) { return r; },
      handle_error_atom_v, task, action, sql);
  print(opts, dmctl::to_json(merged), action + " done; resumed " + dmctl::to_text(merged));
  return 0;
}

// pause-task / resume-task on every worker that runs part of the task.
int run_pause_resume(caf::actor_system& sys, const options& opts, workers& ws,
                     const std::string& task, bool pause) {
  auto nobody = [&](const std::string& refusal) {
    return ws.size() == 1 ? refusal : "task " + task + " exists on no worker";
  };
  auto merged = pause ? ask_every_worker(sys, ws, {ec::not_found}, nobody, pause_task_atom_v, task)
                      : ask_every_worker(sys, ws, {ec::not_found}, nobody, resume_task_atom_v, task);
  print(opts, dmctl::to_json(merged),
        std::string{pause ? "paused " : "resumed "} + dmctl::to_text(merged));
  return 0;
}

// update-task: the task file's new rules for a task paused on every worker that runs part of
// it. Every part is checked paused before any worker is asked; a worker that still refuses
// (e.g. a part still copying its data) is named with the workers already updated.
int run_update_task(caf::actor_system& sys, const options& opts, workers& ws,
                    const std::string& path) {
  auto cfg = read_task(path);
  auto targets = workers_of(sys, opts, ws, cfg);
  for (auto i : targets) {
    auto r = ask<status_reply>(sys, ws.require(i), query_status_atom_v, cfg.name);
    if (!r) fail(describe(r.error()));
    for (auto& t : r->tasks)
      for (auto& s : t.subtasks)
        if (s.stage != task_stage::paused)
          fail("task " + cfg.name + " was not updated: source " + s.source_id + " on worker " +
               ws.addr(i) + " is " + to_string(s.stage) + "; pause it first (pause-task " + cfg.name + ")");
  }
  std::vector<status_reply> replies;
  std::string updated_on;
  for (auto i : targets) {
    auto status = ask<task_status>(sys, ws.require(i), update_task_atom_v, cfg);
    if (!status)
      fail(describe(status.error()) +
           (updated_on.empty() ? ""
                               : " (worker(s) " + updated_on + " took the new rules; run "
                                 "update-task again once this is fixed)"));
    updated_on += (updated_on.empty() ? "" : ", ") + ws.addr(i);
    replies.push_back(status_reply{{*status}, {}});
  }
  auto merged = dmctl::merge(replies);
  print(opts, dmctl::to_json(merged),
        "updated the rules of " + dmctl::to_text(merged) +
            "(they apply from the checkpoint on: resume-task " + cfg.name + ")\n");
  return 0;
}

// encrypt: no worker needed; the key file must be the workers' secret-key-path.
int run_encrypt(const options& opts, const std::string& key_path, const std::string& plain) {
  auto key = read_secret_key(key_path);
  if (!key) fail(describe(key.error()));
  auto sealed = encrypt_password(plain, *key);
  print(opts, {{"result", true}, {"encrypted", sealed}}, sealed + "\n");
  return 0;
}

int run_list_member(caf::actor_system& sys, const options& opts, workers& ws) {
  auto list = nlohmann::json::array();
  std::string text;
  for (size_t i = 0; i < ws.size(); ++i) {
    std::vector<member_info> members;
    auto h = ws.handle(i);
    caf::expected<std::vector<member_info>> r = h ? ask<std::vector<member_info>>(
                                                        sys, *h, list_member_atom_v)
                                                  : caf::expected<std::vector<member_info>>{
                                                        h.error()};
    if (r) {
      members = std::move(*r);
    } else if (code_of(r.error()) == ec::unauthorized) {
      fail(describe(r.error()));
    } else {
      member_info offline;
      offline.name = ws.addr(i);
      offline.addr = ws.addr(i);
      offline.state = "offline";
      members.push_back(offline);
    }
    for (auto& m : members) {
      list.push_back(dmctl::to_json(m));
      text += dmctl::to_text(m);
    }
  }
  print(opts, {{"result", true}, {"members", list}}, text);
  return 0;
}

}  // namespace

// Runs one dmctl invocation; `args` are its words without the program name. `interactive` is
// set when no command is given and the caller should read commands instead.
int run_once(std::vector<std::string> args, bool* interactive) {
  CLI::App app{"dmctl: admin console of dm-worker"};
  options opts;
  if (const char* env = std::getenv("DM_WORKER_ADDR")) opts.worker_addrs = env;
  app.add_option("--worker-addr", opts.worker_addrs,
                 "worker admin endpoint(s), HOST:PORT[,HOST:PORT...] (default 127.0.0.1:8262 or "
                 "$DM_WORKER_ADDR)");
  app.add_flag("--json", opts.json, "print the answer as JSON");
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
  st->add_flag("--remove-meta", remove_meta,
               "first remove what an earlier task of the same name left downstream (its rows "
               "in the meta schema)");
  std::string check_file;
  auto* ct = app.add_subcommand(
      "check-task", "precheck a task: upstream settings, privileges on both sides, schemas");
  ct->add_option("config", check_file, "task config file (YAML)")->required();
  std::string status_task;
  auto* qs = app.add_subcommand("query-status", "status of one task, or of all tasks and sources");
  qs->add_option("task", status_task, "task name");
  std::string stop_target;
  auto* sp = app.add_subcommand("stop-task", "stop a task and remove it with its checkpoints");
  sp->add_option("task", stop_target, "task name or config file")->required();
  auto* lm = app.add_subcommand("list-member", "the workers, their sources and tasks");
  std::string purge_source, purge_file;
  auto* pr = app.add_subcommand(
      "purge-relay", "remove relay files before --filename (or by the source's purge rules)");
  pr->add_option("-s,--source", purge_source, "source id")->required();
  pr->add_option("--filename", purge_file, "remove relay files before this binlog file");

  std::string pause_task, resume_task;
  auto* pt = app.add_subcommand("pause-task", "stop a task's units, keeping its checkpoints");
  pt->add_option("task", pause_task, "task name")->required();
  auto* rt = app.add_subcommand("resume-task", "restart a paused task from its checkpoints");
  rt->add_option("task", resume_task, "task name")->required();
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
  he->add_option("action", error_action, "skip | replace")
      ->required()
      ->check(CLI::IsMember({"skip", "replace"}));
  he->add_option("sql", error_sql, "replace: the statements to run instead, ';'-separated");

  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes the words last first
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "dmctl: " << e.what() << " (see dmctl --help)" << std::endl;
    return 1;
  }

  if (app.get_subcommands().empty()) {
    if (interactive) *interactive = true;
    else std::cerr << "dmctl: a command is needed (see --help)" << std::endl;
    return interactive ? 0 : 1;
  }
  if (en->parsed()) {
    try {
      return run_encrypt(opts, key_path, plain_password);
    } catch (const failure& f) {
      return report(opts, f);
    }
  }

  int tls_files = !opts.ssl_ca.empty() + !opts.ssl_cert.empty() + !opts.ssl_key.empty();
  if (tls_files != 0 && tls_files != 3)
    return report(opts, failure{"--ssl-ca, --ssl-cert and --ssl-key go together"});
  caf::actor_system_config cfg;
  dm::app::configure_actor_system(cfg);
  if (tls_files == 3) dm::app::configure_tls(cfg, opts.ssl_ca, opts.ssl_cert, opts.ssl_key);
  caf::actor_system sys{cfg};
  try {
    workers ws{sys, opts};
    if (os->parsed()) {
      return run_operate_source(sys, opts, ws, action, source_flag.empty() ? target : source_flag);
    }
    if (st->parsed()) return run_start_task(sys, opts, ws, task_file, remove_meta);
    if (ct->parsed()) return run_check_task(sys, opts, ws, check_file);
    if (qs->parsed()) return run_query_status(sys, opts, ws, status_task);
    if (sp->parsed()) return run_stop_task(sys, opts, ws, stop_target);
    if (lm->parsed()) return run_list_member(sys, opts, ws);
    if (pr->parsed()) return run_purge_relay(sys, opts, ws, purge_source, purge_file);
    if (he->parsed()) return run_handle_error(sys, opts, ws, error_task, error_action, error_sql);
    if (pt->parsed()) return run_pause_resume(sys, opts, ws, pause_task, true);
    if (rt->parsed()) return run_pause_resume(sys, opts, ws, resume_task, false);
    if (ut->parsed()) return run_update_task(sys, opts, ws, update_file);
  } catch (const failure& f) {
    return report(opts, f);
  }
  return 1;
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
