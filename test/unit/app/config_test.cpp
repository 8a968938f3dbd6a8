// Config parsing: DM's source.yaml, task.yaml and the worker's TOML, good and bad.
#include <fstream>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "test/unit/test_util.hpp"

#include "app/config/source_yaml.hpp"
#include "app/config/task_yaml.hpp"
#include "app/config/worker_toml.hpp"
#include "common/error.hpp"

using namespace dm;
using namespace dm::config;

namespace {

// The error of a parse that must fail: one line per problem, each naming a config file.
template <class T>
std::string error_of(const caf::expected<T>& r) {
  BOOST_REQUIRE_MESSAGE(!r, "parsed although it should not");
  auto text = describe(r.error());
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    BOOST_CHECK_MESSAGE(line.find(".yaml: ") != std::string::npos ||
                            line.find(".toml: ") != std::string::npos,
                        "names no file: " << line);
  BOOST_CHECK(code_of(r.error()) == ec::invalid_config);
  return text;
}

// A source file's parse; its warnings are dropped (tests of warnings call parse_source_yaml).
caf::expected<source_config> parse_source(const std::string& text, const std::string& file) {
  std::vector<std::string> warnings;
  return parse_source_yaml(text, file, warnings);
}

caf::expected<worker_config> parse_worker(const std::string& text, const std::string& file) {
  std::vector<std::string> warnings;
  return parse_worker_toml(text, file, warnings);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const char* good_task = R"(
name: "my-task"
task-mode: incremental
meta-schema: "dm_meta"
target-database:
  host: "10.0.0.2"
  port: 4000
  user: "tidb"
  password: "secret"
mysql-instances:
  - source-id: "mysql-01"
    meta:
      binlog-name: "mysql-bin.000003"
      binlog-pos: 1234
    syncer-config-name: "fast"
  - source-id: "mysql-02"
    syncer-thread: 4
syncers:
  fast:
    worker-count: 32
    batch: 500
    safe-mode: true
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(config_test)

BOOST_AUTO_TEST_CASE(source_yaml_with_dm_keys) {
  auto cfg = parse_source(R"(
source-id: "mysql-01"
enable-gtid: true
relay-binlog-gtid: "0-1-100"
server-id: 4242
from:
  host: "10.0.0.1"
  port: 3307
  user: "dm"
  password: "pw"
)",
                               "source.yaml");
  DM_REQUIRE_OK(cfg);
  BOOST_CHECK_EQUAL(cfg->source_id, "mysql-01");
  BOOST_CHECK(cfg->enable_gtid);
  BOOST_CHECK_EQUAL(cfg->server_id, 4242u);
  BOOST_CHECK_EQUAL(cfg->from.port, 3307);
  BOOST_CHECK_EQUAL(cfg->from.password, "pw");
}

BOOST_AUTO_TEST_CASE(bad_source_files_name_file_and_key) {
  auto e = error_of(parse_source("source-id: a\nfrom: {host: h, user: u}\nfrm: 1\n", "s.yaml"));
  BOOST_CHECK(contains(e, "s.yaml: frm is not a known key"));
  e = error_of(parse_source("from: {host: h, user: u}\n", "s.yaml"));
  BOOST_CHECK(contains(e, "source-id is required"));
  e = error_of(parse_source("source-id: a\nfrom: {host: h, user: u, port: 70000}\n", "s.yaml"));
  BOOST_CHECK(contains(e, "from.port must be an integer in 1..65535, got '70000'"));
  e = error_of(parse_source("source-id: 'a b'\nfrom: {host: h, user: u}\n", "s.yaml"));
  BOOST_CHECK(contains(e, "source-id 'a b' must be"));
  auto exact = parse_source("source-id: a\ncase-sensitive: true\nfrom: {host: h, user: u}\n",
                            "s.yaml");
  BOOST_REQUIRE(exact);
  BOOST_CHECK(exact->case_sensitive);
  e = error_of(parse_source("source-id: a\nfrom: [\n", "s.yaml"));
  BOOST_CHECK(contains(e, "invalid YAML at line"));
  e = error_of(parse_source("", "s.yaml"));
  BOOST_CHECK(contains(e, "empty"));
  e = error_of(parse_source("- a\n- b\n", "s.yaml"));
  BOOST_CHECK(contains(e, "must be a mapping"));
  e = error_of(parse_source("source-id: a\nenable-gtid: maybe\nfrom: {host: h, user: u}\n",
                                 "s.yaml"));
  BOOST_CHECK(contains(e, "enable-gtid must be true or false"));
  e = error_of(parse_source("source-id: a\nrelay-binlog-gtid: 'x-y'\nfrom: {host: h, user: u}\n",
                                 "s.yaml"));
  BOOST_CHECK(contains(e, "relay-binlog-gtid"));
}

BOOST_AUTO_TEST_CASE(task_yaml_resolves_syncer_settings) {
  std::vector<std::string> warnings;
  auto task = parse_task_yaml(good_task, "task.yaml", warnings);
  DM_REQUIRE_OK(task);
  BOOST_CHECK_EQUAL(task->name, "my-task");
  BOOST_CHECK_EQUAL(task->target_database.port, 4000);
  BOOST_REQUIRE_EQUAL(task->mysql_instances.size(), 2u);
  auto& first = task->mysql_instances[0];
  BOOST_CHECK_EQUAL(first.meta.binlog_name, "mysql-bin.000003");
  BOOST_CHECK_EQUAL(first.meta.binlog_pos, 1234u);
  BOOST_CHECK_EQUAL(first.syncer.worker_count, 32u);
  BOOST_CHECK_EQUAL(first.syncer.batch, 500u);
  BOOST_CHECK(first.syncer.safe_mode);
  BOOST_CHECK_EQUAL(task->mysql_instances[1].syncer.worker_count, 4u);
  BOOST_CHECK_EQUAL(task->mysql_instances[1].syncer.batch, 100u);
  BOOST_CHECK(warnings.empty());
  BOOST_CHECK_EQUAL(task->meta_schema, "dm_meta");
  // A meta with a GTID set alone (the worker finds its position in the relay log).
  auto text = std::string{good_task};
  text.replace(text.find("binlog-name: \"mysql-bin.000003\""), 31, "binlog-gtid: \"0-1-5,1-2-9\"");
  text.replace(text.find("      binlog-pos: 1234\n"), 23, "");
  auto by_gtid = parse_task_yaml(text, "task.yaml", warnings);
  DM_REQUIRE_OK(by_gtid);
  BOOST_CHECK(by_gtid->mysql_instances.at(0).meta.binlog_name.empty());
  BOOST_CHECK_EQUAL(by_gtid->mysql_instances.at(0).meta.binlog_gtid, "0-1-5,1-2-9");
}

BOOST_AUTO_TEST_CASE(bad_task_files_name_file_and_key) {
  std::vector<std::string> w;
  std::string base = good_task;
  auto with = [&](const std::string& from, const std::string& to) {
    auto text = base;
    text.replace(text.find(from), from.size(), to);
    return parse_task_yaml(text, "task.yaml", w);
  };
  BOOST_CHECK(contains(error_of(with("task-mode: incremental", "task-mode: sometimes")),
                       "task-mode must be full, incremental or all"));
  BOOST_CHECK(contains(
      error_of(with("task-mode: incremental",
                    "task-mode: all\nmydumpers:\n  d:\n    extra-args: \"--where 'id > 5'\"")),
      "extra-args: --where is not supported"));
  BOOST_CHECK(contains(
      error_of(with("task-mode: incremental",
                    "task-mode: all\nloaders:\n  l:\n    on-duplicate: merge")),
      "must be replace, ignore or error"));
  BOOST_CHECK(contains(error_of(with("syncer-config-name: \"fast\"", "syncer-config-name: slow")),
                       "mysql-instances[0].syncer-config-name 'slow' names no entry"));
  BOOST_CHECK(contains(error_of(with("binlog-pos: 1234", "binlog-pos: -5")),
                       "mysql-instances[0].meta.binlog-pos must be an integer"));
  BOOST_CHECK(contains(error_of(with("batch: 500", "batch: 500\n    bach: 1")),
                       "syncers.fast.bach is not a known key"));
  BOOST_CHECK(contains(error_of(with("source-id: \"mysql-02\"", "source-id: \"mysql-01\"")),
                       "listed twice"));
  BOOST_CHECK(contains(error_of(with("meta-schema: \"dm_meta\"", "column-mappings: {}")),
                       "column-mappings is a DM key that dm-worker does not support"));
  BOOST_CHECK(contains(error_of(with("syncer-config-name: \"fast\"",
                                     "syncer-config-name: \"fast\"\n    route-rules: [nope]")),
                       "route-rules 'nope' names no entry under routes"));
  BOOST_CHECK(contains(error_of(parse_task_yaml("name: t\ntask-mode: incremental\n", "t.yaml", w)),
                       "target-database is required"));
}

// DM keys taken without effect: their "off" or default value is accepted silently, a value that
// only means "no effect here" with one warning naming the key, a value that asks for something
// missing is refused naming the key.
BOOST_AUTO_TEST_CASE(task_yaml_dm_keys_off_warned_or_refused) {
  enum class outcome { silent, warned, refused };
  struct row {
    const char* replace;  // the line put in place of meta-schema's
    outcome expected;
    const char* mentions;  // in the warning or error
  };
  const row rows[] = {
      {"is-sharding: false", outcome::silent, ""},
      {"is-sharding: true", outcome::silent, ""},
      {"shard-mode: \"\"", outcome::silent, ""},
      {"shard-mode: pessimistic", outcome::silent, ""},
      {"shard-mode: pessimistic\nonline-ddl: true", outcome::refused,
       "which DDL locks cannot hold"},
      {"shard-mode: optimistic", outcome::silent, ""},
      {"is-sharding: true\nshard-mode: optimistic", outcome::silent, ""},
      {"shard-mode: loose", outcome::refused, "shard-mode must be optimistic or pessimistic"},
      {"strict-optimistic-shard-mode: false", outcome::silent, ""},
      {"strict-optimistic-shard-mode: true", outcome::silent, ""},
      {"enable-heartbeat: false", outcome::silent, ""},
      {"enable-heartbeat: true", outcome::warned, "task.yaml: enable-heartbeat has no effect"},
      {"heartbeat-update-interval: 1", outcome::warned, "heartbeat-update-interval has no effect"},
      {"heartbeat-report-interval: 10", outcome::warned, "heartbeat-report-interval has no"},
      {"online-ddl: false", outcome::silent, ""},
      {"online-ddl: true", outcome::silent, ""},
      {"online-ddl-scheme: \"\"", outcome::silent, ""},
      {"online-ddl-scheme: pt", outcome::warned, "online-ddl-scheme is DM's older form"},
      {"online-ddl-scheme: ghost", outcome::refused, "online-ddl-scheme must be pt or gh-ost"},
      {"shadow-table-rules: [\"^_(.+)_tmp$\"]", outcome::warned,
       "shadow-table-rules has no effect: online-ddl is off"},
      {"online-ddl: true\nshadow-table-rules: [\"^_t_tmp$\"]", outcome::refused,
       "'^_t_tmp$' has no group capturing the real table's name"},
      {"online-ddl: true\ntrash-table-rules: [\"^_(.+_old$\"]", outcome::refused,
       "trash-table-rules: '^_(.+_old$' is not a valid regular expression"},
  };
  for (const auto& r : rows) {
    std::vector<std::string> warnings;
    auto text = std::string{good_task};
    text.replace(text.find("meta-schema: \"dm_meta\""), 22, r.replace);
    auto task = parse_task_yaml(text, "task.yaml", warnings);
    std::string said = task ? (warnings.empty() ? "" : warnings.front()) : error_of(task);
    BOOST_TEST_CONTEXT(r.replace << " -> " << said) {
      BOOST_CHECK_EQUAL(bool(task), r.expected != outcome::refused);
      BOOST_CHECK_EQUAL(warnings.size(), r.expected == outcome::warned ? 1u : 0u);
      BOOST_CHECK(contains(said, r.mentions));
    }
  }
  // In the syncer and dumper blocks too.
  std::vector<std::string> warnings;
  auto text = std::string{good_task};
  text.replace(text.find("batch: 500"), 10, "batch: 500\n    queue-size: 1024\n    multiple-rows: true");
  auto task = parse_task_yaml(text, "task.yaml", warnings);
  BOOST_REQUIRE_MESSAGE(task, (task ? "" : error_of(task)));
  BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
  BOOST_CHECK(contains(warnings[0], "syncers.fast.queue-size has no effect here"));
}

BOOST_AUTO_TEST_CASE(task_yaml_resolves_rules_per_instance) {
  std::vector<std::string> warnings;
  auto text = std::string{good_task};
  text.replace(text.find("    syncer-thread: 4"), 20,
               "    syncer-thread: 4\n    block-allow-list: only-shop\n    route-rules: [merge]\n"
               "    filter-rules: no-deletes");
  auto task = parse_task_yaml(text + R"(
block-allow-list:
  only-shop:
    do-dbs: ["shop", "~^log"]
routes:
  merge:
    schema-pattern: "shard_*"
    target-schema: "all"
filters:
  no-deletes:
    schema-pattern: "shop"
    events: ["delete"]
    action: Ignore
)",
                         "task.yaml", warnings);
  DM_REQUIRE_OK(task);
  auto& inst = task->mysql_instances.at(1);
  BOOST_CHECK_EQUAL(inst.block_allow.do_dbs.size(), 2u);
  BOOST_CHECK_EQUAL(inst.routes.at(0).target_schema, "all");
  BOOST_CHECK_EQUAL(inst.filters.at(0).name, "no-deletes");
  BOOST_CHECK(task->mysql_instances.at(0).routes.empty());

  // An extract block needs its regexp and column, and a regexp that compiles.
  auto bad = parse_task_yaml(text + R"(
routes:
  merge:
    schema-pattern: "shard_*"
    target-schema: "all"
    extract-table:
      table-regexp: "t_(.*"
      target-column: "c_table"
    extract-source:
      target-column: "c_source"
)",
                             "task.yaml", warnings);
  BOOST_REQUIRE(!bad);
  auto said = describe(bad.error());
  BOOST_CHECK_MESSAGE(contains(said, "routes.merge.extract-table.table-regexp: 't_(.*' is not "
                                     "a valid regular expression"), said);
  BOOST_CHECK_MESSAGE(contains(said, "routes.merge.extract-source.source-regexp is required"),
                      said);
}

BOOST_AUTO_TEST_CASE(worker_toml) {
  auto cfg = parse_worker("name = \"w1\"\nworker-addr = \"0.0.0.0:8262\"\n"
                               "data-dir = \"/var/lib/dm\"\nlog-level = \"debug\"\n",
                               "worker.toml");
  DM_REQUIRE_OK(cfg);
  BOOST_CHECK_EQUAL(cfg->worker_addr.host, "0.0.0.0");
  BOOST_CHECK_EQUAL(cfg->worker_addr.port, 8262);
  BOOST_CHECK_EQUAL(cfg->data_dir, "/var/lib/dm");
  BOOST_CHECK(contains(error_of(parse_worker("nme = 1\n", "w.toml")),
                       "w.toml: nme is not a known key"));
  BOOST_CHECK(contains(error_of(parse_worker("cert-allowed-cn = [\"a\"]\n", "w.toml")),
                       "cert-allowed-cn needs ssl-ca, ssl-cert and ssl-key"));
  BOOST_CHECK(contains(error_of(parse_worker("cert-allowed-cn = \"a\"\n", "w.toml")),
                       "cert-allowed-cn must be a list of common names"));
  auto allowed = parse_worker("ssl-ca = \"c\"\nssl-cert = \"w\"\nssl-key = \"k\"\n"
                              "cert-allowed-cn = [\"dmctl\", \"ops\"]\n",
                              "w.toml");
  DM_REQUIRE_OK(allowed);
  BOOST_CHECK((allowed->cert_allowed_cn == std::vector<std::string>{"dmctl", "ops"}));
  BOOST_CHECK(contains(error_of(parse_worker("worker-addr = \"h:0\"\n", "w.toml")),
                       "worker-addr 'h:0' is not HOST:PORT"));
  BOOST_CHECK(contains(error_of(parse_worker("log-level = \"loud\"\n", "w.toml")),
                       "log-level must be"));
  BOOST_CHECK(contains(error_of(parse_worker("name = \"open\n", "w.toml")),
                       "invalid TOML at line 1"));
  BOOST_CHECK(contains(error_of(parse_worker("name = 5\n", "w.toml")),
                       "name must be a string"));
  auto fsync = parse_worker("relay-fsync = \"250ms\"\nmetrics-addr = \"127.0.0.1:9100\"\n",
                                 "w.toml");
  DM_REQUIRE_OK(fsync);
  BOOST_CHECK_EQUAL(fsync->relay_fsync_ms, 250);
  BOOST_CHECK_EQUAL(parse_worker("relay-fsync = \"off\"\n", "w.toml")->relay_fsync_ms, -1);
  BOOST_CHECK_EQUAL(parse_worker("relay-fsync = \"2s\"\n", "w.toml")->relay_fsync_ms, 2000);
  BOOST_CHECK(contains(error_of(parse_worker("relay-fsync = \"soon\"\n", "w.toml")),
                       "relay-fsync must be a duration"));
  auto tls = parse_worker("ssl-ca = \"ca.pem\"\nssl-cert = \"w.pem\"\nssl-key = \"w.key\"\n"
                               "admin-token-path = \"token\"\n",
                               "w.toml");
  DM_REQUIRE_OK(tls);
  BOOST_CHECK_EQUAL(tls->ssl_cert, "w.pem");
  BOOST_CHECK_EQUAL(tls->admin_token_path, "token");
  BOOST_CHECK(contains(error_of(parse_worker("ssl-ca = \"ca.pem\"\n", "w.toml")),
                       "w.toml: ssl-ca, ssl-cert and ssl-key go together"));
  BOOST_CHECK(contains(error_of(parse_worker("[security]\nssl-ca = \"x\"\n", "w.toml")),
                       "keys are top-level"));
  BOOST_CHECK_EQUAL(parse_worker("secret-key-path = \"/etc/dm/key\"\n", "w.toml")
                        ->secret_key_path,
                    "/etc/dm/key");
  BOOST_CHECK(contains(error_of(parse_worker("secret-key-path = 1\n", "w.toml")),
                       "secret-key-path must be a string"));
  auto login = parse_worker("join = \"10.0.0.1:2379\"\netcd-user = \"dm\"\n"
                            "etcd-password = \"pw\"\n",
                            "w.toml");
  DM_REQUIRE_OK(login);
  BOOST_CHECK_EQUAL(login->etcd_user, "dm");
  BOOST_CHECK_EQUAL(login->etcd_password, "pw");
  BOOST_CHECK(contains(error_of(parse_worker("join = \"10.0.0.1:2379\"\netcd-password = \"pw\"\n",
                                             "w.toml")),
                       "w.toml: etcd-password needs etcd-user"));
  auto v6 = parse_host_port("[::1]:9000", "addr");
  BOOST_REQUIRE(v6);
  BOOST_CHECK_EQUAL(v6->host, "::1");
}

BOOST_AUTO_TEST_CASE(the_example_configs_in_deploy_parse) {
  auto read = [](const std::string& name) {
    std::ifstream in{std::string{DM_EXAMPLES_DIR} + "/" + name};
    std::stringstream text;
    text << in.rdbuf();
    BOOST_REQUIRE_MESSAGE(!text.str().empty(), name << " is missing");
    return text.str();
  };
  auto worker = parse_worker(read("worker.toml"), "worker.toml");
  DM_REQUIRE_OK(worker);
  BOOST_CHECK_EQUAL(worker->worker_addr.port, 8262);
  auto source = parse_source(read("source.yaml"), "source.yaml");
  DM_REQUIRE_OK(source);
  BOOST_CHECK_EQUAL(source->source_id, "mysql-01");
  std::vector<std::string> warnings;
  auto task = parse_task_yaml(read("task.yaml"), "task.yaml", warnings);
  DM_REQUIRE_OK(task);
  BOOST_CHECK(task->task_mode == task_mode::all);
  BOOST_CHECK_EQUAL(task->mysql_instances.at(0).loader.pool_size, 4u);
  BOOST_CHECK(warnings.empty());
}

BOOST_AUTO_TEST_SUITE_END()
