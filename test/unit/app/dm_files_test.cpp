// A DM user's own files: the worker TOML, source YAML and task YAML as DM's reference documents
// them, every key present (copies written for this test from DM's documented keys). Each key is
// accepted, accepted with one warning, or refused naming key and file, and every problem of a
// file is reported in one run.
#include <algorithm>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "test/unit/test_util.hpp"

#include "app/config/dm_yaml_writer.hpp"
#include "app/config/source_yaml.hpp"
#include "app/config/task_yaml.hpp"
#include "app/config/worker_toml.hpp"
#include "common/error.hpp"
#include "model/config_json.hpp"

using namespace dm;
using namespace dm::config;

namespace {

// DM's dm-worker.toml as its configuration reference shows it.
const char* dm_worker_toml = R"(
name = "worker1"
log-level = "info"
log-file = "dm-worker.log"
log-format = "text"
worker-addr = ":8262"
advertise-addr = "127.0.0.1:8262"
join = "127.0.0.1:8261"
keepalive-ttl = 60
relay-keepalive-ttl = 1800
relay-dir = "relay_log"
ssl-ca = ""
ssl-cert = ""
ssl-key = ""
)";

// DM's source.yaml with every key.
const char* dm_source_yaml = R"(
source-id: "mysql-replica-01"
enable: true
enable-gtid: false
enable-relay: false
relay-binlog-name: ""
relay-binlog-gtid: ""
relay-dir: "./relay_log"
flavor: "mysql"
server-id: 0
case-sensitive: false
from:
  host: "127.0.0.1"
  port: 3306
  user: "root"
  password: "123456"
  max-allowed-packet: 67108864
  security:
    ssl-ca: "/path/to/ca.pem"
    ssl-cert: "/path/to/cert.pem"
    ssl-key: "/path/to/key.pem"
    cert-allowed-cn: ["dm"]
purge:
  interval: 3600
  expires: 0
  remain-space: 15
checker:
  check-enable: true
  backoff-rollback: 5m0s
  backoff-max: 5m0s
  backoff-min: 1s
  check-interval: 5s
  backoff-factor: 2
  backoff-jitter: true
filters:
  - schema-pattern: "dmctl"
    table-pattern: "t_1"
    events: ["create schema", "drop view"]
    action: Ignore
)";

// DM's task.yaml with every key, at the values DM's full reference shows; `features` holds the
// keys of features this version does not have yet.
std::string dm_task_yaml(const std::string& features) {
  return R"(
name: "test"
task-mode: "all"
)" + features + R"(
meta-schema: "dm_meta"
timezone: "Asia/Shanghai"
case-sensitive: false
collation_compatible: "loose"
clean-dump-file: true
ignore-checking-items: []
enable-heartbeat: false
heartbeat-update-interval: 1
heartbeat-report-interval: 10
remove-meta: false
ansi-quotes: false
experimental:
  async-checkpoint-flush: false
target-database:
  host: "192.168.0.1"
  port: 4000
  user: "root"
  password: "secret"
  max-allowed-packet: 67108864
  session:
    sql_mode: "ANSI_QUOTES,NO_ZERO_IN_DATE,NO_ZERO_DATE"
    tidb_skip_utf8_check: 1
    wait_timeout: 28800
    innodb_lock_wait_timeout: 50
  security:
    ssl-ca: "/path/to/ca.pem"
    ssl-cert: "/path/to/cert.pem"
    ssl-key: "/path/to/key.pem"
block-allow-list:
  bw-rule-1:
    do-dbs: ["all_mode"]
    ignore-dbs: ["tmp"]
    do-tables:
      - db-name: "all_mode"
        tbl-name: "t*"
    ignore-tables:
      - db-name: "all_mode"
        tbl-name: "tmp_*"
routes:
  route-rule-1:
    schema-pattern: "test_*"
    table-pattern: "t_*"
    target-schema: "test"
    target-table: "t"
    extract-table:
      table-regexp: 't_(.*)'
      target-column: "c_table"
    extract-schema:
      schema-regexp: 'test_(.*)'
      target-column: "c_schema"
    extract-source:
      source-regexp: '(.*)'
      target-column: "c_source"
  route-rule-2:
    schema-pattern: "test_*"
    target-schema: "test"
filters:
  filter-rule-1:
    schema-pattern: "test_*"
    table-pattern: "t_*"
    events: ["truncate table", "drop table"]
    sql-pattern: ["^DROP\\s+PROCEDURE", "^CREATE\\s+PROCEDURE"]
    action: Ignore
  filter-rule-2:
    schema-pattern: "test_*"
    events: ["all dml"]
    action: Do
validators:
  global:
    mode: none
    worker-count: 4
    row-error-delay: 30m
mydumpers:
  global:
    threads: 4
    chunk-filesize: 64
    statement-size: 0
    rows: 0
    where: ""
    skip-tz-utc: true
    mydumper-path: "./bin/mydumper"
    extra-args: "--consistency auto -r 200000"
loaders:
  global:
    pool-size: 16
    dir: "./dumped_data"
    import-mode: "logical"
    on-duplicate-logical: "replace"
    on-duplicate-physical: "none"
    disk-quota-physical: "0"
    checksum-physical: "required"
    analyze: "optional"
    range-concurrency: 0
    compress-kv-pairs: ""
    pd-addr: ""
syncers:
  global:
    worker-count: 16
    batch: 100
    queue-size: 1024
    checkpoint-flush-interval: 30
    enable-ansi-quotes: true
    safe-mode: false
    safe-mode-duration: "60s"
    compact: true
    multiple-rows: true
mysql-instances:
  - source-id: "mysql-replica-01"
    meta:
      binlog-name: binlog.000001
      binlog-pos: 4
      binlog-gtid: "03fc0263-28c7-11e7-a653-6c0b84d59f30:1-7041423"
    route-rules: ["route-rule-1", "route-rule-2"]
    filter-rules: ["filter-rule-1", "filter-rule-2"]
    block-allow-list: "bw-rule-1"
    mydumper-config-name: "global"
    loader-config-name: "global"
    syncer-config-name: "global"
    validator-config-name: "global"
  - source-id: "mysql-replica-02"
    mydumper:
      threads: 2
      extra-args: "-t 3 --skip-tz-utc"
    loader:
      pool-size: 8
    syncer:
      worker-count: 4
      compact: false
    mydumper-thread: 5
)";
}

// The keys of missing features, at values that ask for them (DM's full reference).
const char* missing_features = R"(
shard-mode: "pessimistic"
strict-optimistic-shard-mode: false
expression-filter:
  even_c:
    schema: "expr_filter"
    table: "tbl"
    insert-value-expr: "c % 2 = 0"
)";

// The same keys at their off values.
const char* features_off = R"(
shard-mode: ""
is-sharding: false
strict-optimistic-shard-mode: false
online-ddl: false
online-ddl-scheme: ""
)";

// `text` with each (from, to) replaced once.
std::string with_swaps(std::string text,
                       const std::vector<std::pair<std::string, std::string>>& swaps) {
  for (const auto& [from, to] : swaps) {
    auto at = text.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
    text.replace(at, from.size(), to);
  }
  return text;
}

// The problems of a parse that must fail, one per line.
template <class T>
std::vector<std::string> problems_of(const caf::expected<T>& parsed) {
  BOOST_REQUIRE_MESSAGE(!parsed, "parsed although it should not");
  std::vector<std::string> out;
  std::istringstream in{describe(parsed.error())};
  for (std::string line; std::getline(in, line);) {
    BOOST_TEST_MESSAGE(line);
    out.push_back(line);
  }
  return out;
}

// The part of each warning after "FILE: ", sorted, for comparing with an expected list.
std::vector<std::string> keys_warned(const std::vector<std::string>& warnings) {
  std::vector<std::string> out;
  for (auto& w : warnings) {
    auto start = w.find(": ") + 2;
    out.push_back(w.substr(start, w.find(' ', start) - start));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool mentions(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dm_files)

BOOST_AUTO_TEST_CASE(dm_worker_toml_starts_unchanged) {
  std::vector<std::string> warnings;
  auto cfg = parse_worker_toml(dm_worker_toml, "dm-worker.toml", warnings);
  DM_REQUIRE_OK(cfg);
  BOOST_CHECK_EQUAL(cfg->worker_addr.host, "0.0.0.0");
  BOOST_CHECK_EQUAL(cfg->worker_addr.port, 8262);
  BOOST_CHECK_EQUAL(cfg->advertise_addr, "127.0.0.1:8262");
  BOOST_CHECK_EQUAL(cfg->name, "worker1");
  BOOST_CHECK_EQUAL(cfg->keepalive_ttl, 60);
  BOOST_CHECK_EQUAL(cfg->relay_keepalive_ttl, 1800);
  // log-format "text" is the default; relay-dir says why it changes nothing, join that it
  // names DM-master's port where etcd's is meant.
  std::vector<std::string> expected{"join", "relay-dir"};
  BOOST_CHECK(keys_warned(warnings) == expected);
  for (auto& w : warnings) BOOST_TEST_MESSAGE(w);

  // Every problem at once, each naming file and key.
  auto lines = problems_of(parse_worker_toml(
      "worker-addr = \"h\"\nlog-level = \"loud\"\nnmae = \"x\"\ncert-allowed-cn = [\"dm\"]\n"
      "advertise-addr = \"0.0.0.0:1\"\n",
      "w.toml", warnings));
  BOOST_CHECK_EQUAL(lines.size(), 5u);
  for (const char* key : {"w.toml: worker-addr", "w.toml: log-level", "w.toml: nmae",
                          "w.toml: cert-allowed-cn", "w.toml: advertise-addr"})
    BOOST_CHECK_MESSAGE(mentions(lines, key), key);
}

BOOST_AUTO_TEST_CASE(dm_source_yaml_loads_with_warnings_and_refusals_named) {
  std::vector<std::string> warnings;
  auto cfg = parse_source_yaml(dm_source_yaml, "source.yaml", warnings);
  DM_REQUIRE_OK(cfg);
  std::vector<std::string> expected{"checker.check-interval", "from.max-allowed-packet",
                                    "from.security.cert-allowed-cn", "relay-dir"};
  BOOST_CHECK(keys_warned(warnings) == expected);
  for (auto& w : warnings) BOOST_TEST_MESSAGE(w);
  BOOST_CHECK_EQUAL(cfg->server_id, 0u);
  BOOST_CHECK(cfg->auto_resume.enabled);
  BOOST_CHECK_EQUAL(cfg->auto_resume.backoff_max_ms, 300000);
  BOOST_CHECK_EQUAL(cfg->auto_resume.rollback_ms, 300000);
  BOOST_CHECK_EQUAL(cfg->auto_resume.backoff_min_ms, 1000);
  BOOST_REQUIRE_EQUAL(cfg->filters.size(), 1u);
  BOOST_CHECK_EQUAL(cfg->filters[0].table_pattern, "t_1");

  // Values asking for what is missing, a bad regex, a bad event, a bad duration and a duplicate
  // key: all reported in one run.
  auto lines = problems_of(parse_source_yaml(
      with_swaps(dm_source_yaml, {{"backoff-max: 5m0s", "backoff-max: soon"},
                                  {"table-pattern: \"t_1\"", "table-pattern: \"~t_(1\""},
                                  {"\"drop view\"", "\"value range decrease\", \"drop viewing\""},
                                  {"enable: true", "enable: true\nenable: false"}}),
      "source.yaml", warnings));
  BOOST_CHECK_EQUAL(lines.size(), 4u);
  BOOST_CHECK(!mentions(lines, "'value range decrease'"));  // an event name like any other
  for (const char* part :
       {"source.yaml: checker.backoff-max must be a duration like 5m0s",
        "source.yaml: filters[0].table-pattern: 't_(1' is not a valid regular expression",
        "source.yaml: filters[0].events: 'drop viewing' is not an event name",
        "source.yaml: line 4: key 'enable' is given twice in one mapping (first at line 3)"})
    BOOST_CHECK_MESSAGE(mentions(lines, part), part);
}

BOOST_AUTO_TEST_CASE(dm_task_yaml_every_key_accepted_warned_or_refused) {
  // Features at their off values: the file loads; what has no effect here is warned once each.
  std::vector<std::string> warnings;
  auto task = parse_task_yaml(dm_task_yaml(features_off), "task.yaml", warnings);
  DM_REQUIRE_OK(task);
  for (auto& w : warnings) BOOST_TEST_MESSAGE(w);
  std::vector<std::string> expected{
      "experimental",
      "heartbeat-report-interval",
      "heartbeat-update-interval",
      "mydumpers.global.chunk-filesize",
      "mydumpers.global.mydumper-path",
      "mydumpers.global.skip-tz-utc",
      "mydumpers.global.statement-size",
      "mysql-instances[1].mydumper.extra-args:",
      "mysql-instances[1].syncer.compact",
      "syncers.global.checkpoint-flush-interval",
      "syncers.global.enable-ansi-quotes",
      "syncers.global.queue-size",
      "syncers.global.safe-mode-duration",
      "target-database.max-allowed-packet",
      "target-database.session.sql_mode",
      "timezone",
      "ansi-quotes"};
  std::sort(expected.begin(), expected.end());
  BOOST_CHECK(keys_warned(warnings) == expected);

  // The values reached the settings.
  auto& first = task->mysql_instances.at(0);
  BOOST_CHECK_EQUAL(first.dumper.rows, 200000u);
  BOOST_CHECK(first.dumper.consistency == dump_consistency::flush);
  BOOST_CHECK_EQUAL(first.syncer.worker_count, 16u);
  BOOST_CHECK_EQUAL(first.block_allow.ignore_tables.size(), 1u);
  // DM's route with extract-table/-schema/-source.
  const auto& merge_route = task->mysql_instances.at(0).routes.at(0);
  BOOST_CHECK_EQUAL(merge_route.extract_table.regexp, "t_(.*)");
  BOOST_CHECK_EQUAL(merge_route.extract_schema.column, "c_schema");
  BOOST_CHECK_EQUAL(merge_route.extract_source.regexp, "(.*)");
  auto& second = task->mysql_instances.at(1);
  BOOST_CHECK_EQUAL(second.dumper.threads, 5u);  // mydumper-thread over inline and -t
  BOOST_CHECK_EQUAL(second.loader.pool_size, 8u);
  BOOST_CHECK_EQUAL(second.syncer.worker_count, 4u);
  // Session variables: the worker's own (sql_mode) warned and dropped; numbers bare.
  std::vector<std::pair<std::string, std::string>> session{{"tidb_skip_utf8_check", "1"},
                                                           {"wait_timeout", "28800"},
                                                           {"innodb_lock_wait_timeout", "50"}};
  BOOST_CHECK(task->target_database.session == session);

  // Features asked for: each refused by name, all in one run, with nothing else wrong.
  auto lines = problems_of(parse_task_yaml(dm_task_yaml(missing_features), "task.yaml", warnings));
  BOOST_CHECK_EQUAL(lines.size(), 1u);
  for (const char* part :
       {"task.yaml: expression-filter is a DM key that dm-worker does not support"})
    BOOST_CHECK_MESSAGE(mentions(lines, part), part);

  // online-ddl with DM's own rules: read as given; DM's defaults when they are left out.
  auto online = parse_task_yaml(dm_task_yaml(R"(
online-ddl: true
shadow-table-rules: ["^_(.+)_(?:new|gho)$", "^(.+)_shadow$"]
trash-table-rules: ["^_(.+)_(?:ghc|del|old)$"]
)"), "task.yaml", warnings);
  BOOST_REQUIRE_MESSAGE(online, (online ? "" : describe(online.error())));
  BOOST_CHECK(online->online_ddl.enabled);
  BOOST_CHECK_EQUAL(online->online_ddl.shadow_table_rules.size(), 2u);
  auto defaults = parse_task_yaml(dm_task_yaml("\nonline-ddl: true\n"), "task.yaml", warnings);
  BOOST_REQUIRE_MESSAGE(defaults, (defaults ? "" : describe(defaults.error())));
  BOOST_CHECK(defaults->online_ddl.shadow_table_rules ==
              std::vector<std::string>{"^_(.+)_(?:new|gho)$"});
  BOOST_CHECK(defaults->online_ddl.trash_table_rules ==
              std::vector<std::string>{"^_(.+)_(?:ghc|del|old)$"});

  // collation_compatible: loose (DM's default) or strict; nothing else.
  BOOST_CHECK(!task->strict_collations);
  auto with_collations = [&](const char* value) {
    return parse_task_yaml(
        with_swaps(dm_task_yaml(features_off),
                   {{"collation_compatible: \"loose\"",
                     std::string{"collation_compatible: \""} + value + "\""}}),
        "task.yaml", warnings);
  };
  auto strict = with_collations("Strict");
  DM_REQUIRE_OK(strict);
  BOOST_CHECK(strict->strict_collations);
  BOOST_CHECK(mentions(problems_of(with_collations("tight")),
                       "task.yaml: collation_compatible must be loose or strict, got 'tight'"));
}

BOOST_AUTO_TEST_CASE(task_yaml_reports_every_problem_at_once) {
  std::vector<std::string> warnings;
  auto lines = problems_of(parse_task_yaml(
      with_swaps(dm_task_yaml(features_off),
                 {{"task-mode: \"all\"", "task-mode: \"sometimes\""},
                  {"batch: 100", "batch: 0\n    bach: 1"},
                  {"action: Do", "action: Maybe"},
                  {"extra-args: \"--consistency auto -r 200000\"",
                   "extra-args: \"-B db --where 'a > 1' --consistency eventual --frobnicate\""},
                  {"syncer-config-name: \"global\"",
                   "syncer-config-name: \"global\"\n    syncer: {batch: 5}"},
                  {"    tidb_skip_utf8_check: 1", "    tidb_skip_utf8_check: 1\n    \"bad name\": 1"},
                  {"meta-schema: \"dm_meta\"", "meta-schema: \"dm_meta\"\nname: \"again\""}}),
      "task.yaml", warnings));
  for (const char* part :
       {"task.yaml: task-mode must be full, incremental or all, got 'sometimes'",
        "task.yaml: syncers.global.batch must be an integer in 1..",
        "task.yaml: syncers.global.bach is not a known key",
        "task.yaml: filters.filter-rule-2.action must be Ignore, Do or Error, got 'Maybe'",
        "extra-args: -B is not supported: the task's block-allow-list chooses",
        "extra-args: --where is not supported",
        "extra-args: --consistency 'eventual' is not known",
        "extra-args: '--frobnicate' is not an option dm-worker knows",
        "task.yaml: mysql-instances[0].syncer and syncer-config-name are both given",
        "task.yaml: target-database.session.bad name is not a session variable name",
        "key 'name' is given twice in one mapping"})
    BOOST_CHECK_MESSAGE(mentions(lines, part), part);
  BOOST_CHECK_EQUAL(lines.size(), 11u);
}

// get-config and config export write DM-format files that read back as the same config.
BOOST_AUTO_TEST_CASE(written_configs_read_back_the_same) {
  std::vector<std::string> warnings;
  auto source = parse_source_yaml(dm_source_yaml, "source.yaml", warnings);
  DM_REQUIRE_OK(source);
  auto source_text = to_dm_yaml(*source);
  BOOST_TEST_MESSAGE(source_text);
  auto source_again = parse_source_yaml(source_text, "written.yaml", warnings);
  DM_REQUIRE_OK(source_again);
  BOOST_CHECK_EQUAL(to_json(*source_again), to_json(*source));

  auto task_text = with_swaps(dm_task_yaml(features_off),
                              {{"tidb_skip_utf8_check: 1", "time_names: \"it's \\\\ 'x'\""},
                               {"collation_compatible: \"loose\"",
                                "collation_compatible: \"strict\""}});
  auto task = parse_task_yaml(task_text, "task.yaml", warnings);
  DM_REQUIRE_OK(task);
  auto written = to_dm_yaml(*task);
  BOOST_TEST_MESSAGE(written);
  warnings.clear();
  auto task_again = parse_task_yaml(written, "written.yaml", warnings);
  DM_REQUIRE_OK(task_again);
  BOOST_CHECK_EQUAL(to_json(*task_again), to_json(*task));
  BOOST_CHECK_MESSAGE(warnings.empty(),
                      "a written file warns: " << (warnings.empty() ? "" : warnings.front()));
}

BOOST_AUTO_TEST_SUITE_END()
