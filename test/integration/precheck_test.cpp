// check-task against real servers and real users: each missing privilege, upstream setting and
// downstream setting is reported alone, with the GRANT or setting that fixes it, and passes
// once fixed; start-task refuses a task whose precheck fails and starts it once it passes. A
// collation the downstream lacks is made real with a site-defined collation on the upstream.
#define BOOST_TEST_MODULE precheck
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

// Upstream user `chk` (SELECT only on the replicated database `app`, the rest global) and
// downstream user `dl`, whose privileges come only through its default role `writer`
// (database-level on `app` and the meta schema).
struct fixture {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  std::string task_file;

  fixture() {
    upstream.execute("CREATE DATABASE app");
    upstream.execute("CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20)) COLLATE utf8mb4_bin");
    upstream.execute("CREATE TABLE app.nokey (a INT, b INT)");
    upstream.execute("CREATE DATABASE other");
    upstream.execute("CREATE USER chk@'%'");
    upstream.execute("GRANT SELECT ON app.* TO chk@'%'");
    upstream.execute("GRANT RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO chk@'%'");
    downstream.execute("CREATE USER dl@'%'");
    downstream.execute("CREATE ROLE writer");
    for (auto db : {"app", "dm_meta"})
      downstream.execute(std::string{"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, "
                                     "ALTER, INDEX ON "} + db + ".* TO writer");
    downstream.execute("GRANT writer TO dl@'%'");
    downstream.execute("SET DEFAULT ROLE writer FOR dl@'%'");

    auto source = source_yaml("up", upstream);
    source.replace(source.find("user: \"root\""), 12, "user: \"chk\"");
    auto created = worker.dmctl({"operate-source", "create", worker.write_file("s.yaml", source)});
    BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    task_file = write_task("t.yaml", "");
  }

  // An all-mode task replicating database `app` as user dl; `extra` adds top-level keys,
  // `instance_extra` keys of its mysql-instance.
  std::string write_task(const std::string& name, const std::string& extra,
                         const std::string& instance_extra = "") {
    auto task = task_yaml("t", {"up"}, downstream,
                          "    block-allow-list: \"only-app\"\n" + instance_extra +
                              "block-allow-list:\n  only-app:\n    do-dbs: [\"app\"]\n" + extra);
    task.replace(task.find("task-mode: incremental"), 22, "task-mode: all");
    task.replace(task.find("user: \"root\""), 12, "user: \"dl\"");
    return worker.write_file(name, task);
  }

  // check-task --json: the reply, and whether dmctl exited 0.
  std::pair<nlohmann::json, bool> check(const std::string& file) {
    auto r = worker.dmctl({"--json", "check-task", file});
    BOOST_REQUIRE_MESSAGE(!r.out.empty(), "check-task printed nothing: " << r.err);
    return {nlohmann::json::parse(r.out), r.exit_code == 0};
  }

  // Expects exactly one failed item, `item`, whose message holds every one of `words`.
  void expect_only_failure(const std::string& item, const std::vector<std::string>& words,
                           const std::string& file = "") {
    auto [reply, ok] = check(file.empty() ? task_file : file);
    BOOST_CHECK(!ok);
    BOOST_CHECK_EQUAL(reply["result"], false);
    std::vector<nlohmann::json> failed;
    for (auto& c : reply["checks"])
      if (c["state"] == "fail") failed.push_back(c);
    BOOST_REQUIRE_MESSAGE(failed.size() == 1, "expected only " << item << " to fail: "
                                                               << reply.dump());
    BOOST_CHECK_EQUAL(failed[0]["item"], item);
    BOOST_CHECK_EQUAL(failed[0]["source_id"], "up");
    auto message = failed[0]["message"].get<std::string>();
    for (auto& w : words)
      BOOST_CHECK_MESSAGE(message.find(w) != std::string::npos,
                          "'" << w << "' not in: " << message);
  }

  void expect_pass(const std::string& file = "") {
    auto [reply, ok] = check(file.empty() ? task_file : file);
    BOOST_CHECK_MESSAGE(ok && reply["result"] == true, reply.dump());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(each_missing_privilege_is_reported_alone_until_granted, fixture) {
  auto [reply, ok] = check(task_file);
  BOOST_REQUIRE_MESSAGE(ok && reply["result"] == true, reply.dump());
  std::set<std::string> items;
  for (auto& c : reply["checks"]) {
    items.insert(c["item"].get<std::string>());
    if (c["item"] == "table_schema") {
      BOOST_CHECK_EQUAL(c["state"], "warn");
      BOOST_CHECK(c["message"].get<std::string>().find("`app`.`nokey`") != std::string::npos);
    }
  }
  for (auto name : {"version", "server_id", "binlog_enable", "binlog_format", "binlog_row_image",
                    "dump_privilege", "replication_privilege", "table_schema", "collation",
                    "target_privilege", "local_infile"})
    BOOST_CHECK_MESSAGE(items.count(name), name << " was not checked: " << reply.dump());
  // The text form lists the items and the verdict.
  auto text = worker.dmctl({"check-task", task_file});
  BOOST_CHECK_EQUAL(text.exit_code, 0);
  BOOST_CHECK(text.out.find("warn table_schema (source up)") != std::string::npos);
  BOOST_CHECK(text.out.find("precheck passed, 1 warning(s)") != std::string::npos);

  struct upstream_case {
    std::string privilege, on, item, named;
  };
  for (auto& c : std::vector<upstream_case>{
           {"SELECT", "app.*", "dump_privilege", "lacks SELECT on `app`.*"},
           {"RELOAD", "*.*", "dump_privilege", "GRANT RELOAD ON *.* TO 'chk'@'%'"},
           {"REPLICATION SLAVE", "*.*", "replication_privilege", "lacks REPLICATION SLAVE"},
           {"BINLOG MONITOR", "*.*", "replication_privilege", "lacks REPLICATION CLIENT"}}) {
    BOOST_TEST_MESSAGE("upstream without " << c.privilege);
    upstream.execute("REVOKE " + c.privilege + " ON " + c.on + " FROM chk@'%'");
    expect_only_failure(c.item, {c.named});
    upstream.execute("GRANT " + c.privilege + " ON " + c.on + " TO chk@'%'");
    expect_pass();
  }
  for (auto privilege : {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER",
                         "INDEX"}) {
    BOOST_TEST_MESSAGE("downstream role without " << privilege);
    for (auto db : {"app", "dm_meta"}) {
      downstream.execute(std::string{"REVOKE "} + privilege + " ON " + db + ".* FROM writer");
      expect_only_failure("target_privilege",
                          {std::string{"'dl'@'%' lacks "} + privilege + " on `" + db + "`.*",
                           std::string{"GRANT "} + privilege + " ON `" + db + "`.* TO 'dl'@'%'"});
      downstream.execute(std::string{"GRANT "} + privilege + " ON " + db + ".* TO writer");
    }
    expect_pass();
  }
  // A role that is granted but not active gives nothing.
  downstream.execute("SET DEFAULT ROLE NONE FOR dl@'%'");
  expect_only_failure("target_privilege", {"lacks SELECT, INSERT"});
  downstream.execute("SET DEFAULT ROLE writer FOR dl@'%'");
  // Without the dump's lock, RELOAD is not needed.
  upstream.execute("REVOKE RELOAD ON *.* FROM chk@'%'");
  expect_only_failure("dump_privilege", {"RELOAD", "--consistency none"});
  expect_pass(write_task("lockless.yaml",
                         "mydumpers:\n  lockless:\n    extra-args: \"--consistency none\"\n",
                         "    mydumper-config-name: \"lockless\"\n"));
}

BOOST_FIXTURE_TEST_CASE(server_settings_are_reported_and_start_task_refuses_until_fixed,
                        fixture) {
  struct setting_case {
    mariadb_sandbox* server;
    std::string bad, good, item, named;
  };
  for (auto& c : std::vector<setting_case>{
           {&upstream, "binlog_format = 'STATEMENT'", "binlog_format = 'ROW'", "binlog_format",
            "SET GLOBAL binlog_format = 'ROW'"},
           {&upstream, "binlog_row_image = 'MINIMAL'", "binlog_row_image = 'FULL'",
            "binlog_row_image", "SET GLOBAL binlog_row_image = 'FULL'"},
           {&downstream, "local_infile = OFF", "local_infile = ON", "local_infile",
            "SET GLOBAL local_infile = ON"}}) {
    BOOST_TEST_MESSAGE("SET GLOBAL " << c.bad);
    c.server->execute("SET GLOBAL " + c.bad);
    expect_only_failure(c.item, {c.named});
    c.server->execute("SET GLOBAL " + c.good);
    expect_pass();
  }
  // ignore-checking-items skips an item.
  upstream.execute("SET GLOBAL binlog_format = 'MIXED'");
  expect_pass(write_task("ignoring.yaml", "ignore-checking-items: [\"binlog_format\"]\n"));
  // start-task runs the precheck and starts nothing when it fails.
  auto refused = worker.dmctl({"start-task", task_file});
  BOOST_CHECK_NE(refused.exit_code, 0);
  BOOST_CHECK_MESSAGE(refused.err.find("task t was not started: precheck failed: binlog_format "
                                       "(source up): the upstream's binlog_format is MIXED") !=
                          std::string::npos,
                      refused.err);
  BOOST_CHECK(worker.dmctl_json({"query-status"})["tasks"].empty());
  upstream.execute("SET GLOBAL binlog_format = 'ROW'");
  auto started = worker.dmctl({"start-task", task_file});
  BOOST_CHECK_MESSAGE(started.exit_code == 0, started.err);
  upstream.execute("INSERT INTO app.t VALUES (1, 'after the check')");
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  // An unknown item name is a config error.
  auto typo = worker.dmctl({"check-task", write_task("typo.yaml", "ignore-checking-items: [\"binlog\"]\n")});
  BOOST_CHECK_NE(typo.exit_code, 0);
  BOOST_CHECK(typo.err.find("'binlog' is not a precheck item") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_upstream_without_binary_log_is_reported) {
  auto options = sandbox_options::with_server_id(3);
  options.log_bin = false;
  mariadb_sandbox upstream{options};
  mariadb_sandbox downstream{sandbox_options::with_server_id(4)};
  worker_process worker;
  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("s.yaml", source_yaml("nobin", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto r = worker.dmctl(
      {"--json", "check-task", worker.write_file("t.yaml", task_yaml("t", {"nobin"}, downstream))});
  BOOST_CHECK_NE(r.exit_code, 0);
  auto reply = nlohmann::json::parse(r.out);
  bool reported = false;
  for (auto& c : reply["checks"])
    if (c["item"] == "binlog_enable") {
      reported = c["state"] == "fail" &&
                 c["message"].get<std::string>().find("start it with log-bin") != std::string::npos;
    }
  BOOST_CHECK_MESSAGE(reported, reply.dump());
}

// A column whose collation the downstream does not have (a collation added to the upstream
// from its character-sets-dir, as a site-defined collation is) fails the collation item,
// naming the collation and the table; converting the column makes it pass.
BOOST_AUTO_TEST_CASE(a_collation_the_downstream_lacks_is_reported_until_converted) {
  // The server's own charset definitions plus one collation of utf8mb3 ("b" sorts as "a").
  auto charsets = make_temp_dir("dm-charsets");
  struct removed_at_end {
    std::string dir;
    ~removed_at_end() { remove_tree(dir); }
  } cleanup{charsets};
  std::filesystem::copy("/usr/share/mysql/charsets", charsets,
                        std::filesystem::copy_options::recursive);
  std::string index;
  {
    std::ifstream in{charsets + "/Index.xml"};
    index.assign(std::istreambuf_iterator<char>{in}, {});
  }
  auto at = index.find("<charset name=\"utf8mb3\">");
  BOOST_REQUIRE(at != std::string::npos);
  index.insert(index.find('\n', at) + 1,
               "  <collation name=\"utf8mb3_site_ci\" id=\"1029\">\n"
               "    <rules><reset>a</reset><s>b</s></rules>\n  </collation>\n");
  std::ofstream{charsets + "/Index.xml"} << index;

  auto options = sandbox_options::with_server_id(5);
  options.extra_args.push_back("--character-sets-dir=" + charsets);
  mariadb_sandbox upstream{options};
  mariadb_sandbox downstream{sandbox_options::with_server_id(6)};
  upstream.execute("CREATE DATABASE app");
  upstream.execute("CREATE TABLE app.names (id INT PRIMARY KEY, "
                   "name VARCHAR(20) CHARACTER SET utf8mb3 COLLATE utf8mb3_site_ci)");
  worker_process worker;
  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("s.yaml", source_yaml("up", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto task_file = worker.write_file("t.yaml", task_yaml("t", {"up"}, downstream));

  auto collation_item = [&] {
    auto r = worker.dmctl({"--json", "check-task", task_file});
    auto reply = nlohmann::json::parse(r.out);
    nlohmann::json item;
    for (auto& c : reply["checks"]) {
      if (c["item"] == "collation") item = c;
      else BOOST_CHECK_MESSAGE(c["state"] != "fail", c.dump());
    }
    BOOST_CHECK_EQUAL(r.exit_code == 0, item["state"] != "fail");
    return item;
  };
  auto item = collation_item();
  BOOST_CHECK_EQUAL(item["state"], "fail");
  auto message = item["message"].get<std::string>();
  BOOST_CHECK_MESSAGE(message.find("the downstream lacks collation utf8mb3_site_ci (used by "
                                   "`app`.`names`)") != std::string::npos,
                      message);
  BOOST_CHECK_MESSAGE(message.find("convert those columns upstream") != std::string::npos,
                      message);
  auto refused = worker.dmctl({"start-task", task_file});
  BOOST_CHECK_NE(refused.exit_code, 0);

  upstream.execute("ALTER TABLE app.names MODIFY name VARCHAR(20) CHARACTER SET utf8mb3 "
                   "COLLATE utf8mb3_general_ci");
  BOOST_CHECK_EQUAL(collation_item()["state"], "ok");
}

// Routes that write several tables into one: an auto-increment key makes their rows collide,
// different structures cannot share a table; each is named with the fix, and passes once fixed.
BOOST_FIXTURE_TEST_CASE(tables_merged_by_routes_must_agree_and_not_collide, fixture) {
  upstream.execute("CREATE TABLE app.s1 (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
  upstream.execute("CREATE TABLE app.s2 (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
  auto merge = write_task("m.yaml",
                          "routes:\n  merge:\n    schema-pattern: \"app\"\n    table-pattern: "
                          "\"s?\"\n    target-schema: \"app\"\n    target-table: \"merged\"\n",
                          "    route-rules: [\"merge\"]\n");
  expect_only_failure("auto_increment_ID",
                      {"`app`.`s1` is merged into `app`.`merged` with `app`.`s2`",
                       "auto-increment column id", "auto_increment_offset"},
                      merge);
  upstream.execute("ALTER TABLE app.s1 MODIFY id INT NOT NULL");
  upstream.execute("ALTER TABLE app.s2 MODIFY id INT NOT NULL, MODIFY v BIGINT");
  expect_only_failure("schema_of_shard_tables",
                      {"`app`.`s2` is merged into `app`.`merged` with `app`.`s1`",
                       "column 2 is v bigint(20) there and v int(11) in `app`.`s1`",
                       "give them the same columns"},
                      merge);
  upstream.execute("ALTER TABLE app.s2 MODIFY v INT");
  expect_pass(merge);
  // Without the route nothing is merged.
  expect_pass();
}
