// The syncer against real servers: every column type through schema changes (with and without
// table map metadata), routes + filters + block-allow list, one source into two downstreams,
// two sources into one downstream, and handle-error on a row and on a DDL.
#define BOOST_TEST_MODULE sync
#include <boost/test/unit_test.hpp>

#include <thread>

#include "test/support/harness.hpp"
#include "test/support/typed_workload.hpp"
#include "test/support/workload.hpp"

using namespace dm::test;

namespace {

// Rows of `sql` as one string each ("a|b|NULL"), in the order the query returns them.
std::vector<std::string> rows_of(const mariadb_sandbox& server, const std::string& sql) {
  std::vector<std::string> out;
  for (auto& r : server.query(sql)) {
    std::string line;
    for (auto& v : r) line += (line.empty() ? "" : "|") + (v ? *v : std::string{"NULL"});
    out.push_back(line);
  }
  return out;
}

bool has_database(const mariadb_sandbox& server, const std::string& db) {
  return !server.query("SHOW DATABASES LIKE '" + db + "'").empty();
}

void start_task(const worker_process& worker, const std::string& file, const std::string& yaml) {
  auto r = worker.dmctl({"start-task", worker.write_file(file, yaml)});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

void create_source(const worker_process& worker, const std::string& id,
                   const mariadb_sandbox& server) {
  auto r = worker.dmctl(
      {"operate-source", "create", worker.write_file(id + ".yaml", source_yaml(id, server))});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

// The JSON status of the single source of `task`.
nlohmann::json subtask_status(const worker_process& worker, const std::string& task) {
  return worker.dmctl_json({"query-status", task})["tasks"].at(0)["sources"].at(0);
}

// Waits until the task is Paused; returns its status.
nlohmann::json wait_paused(const worker_process& worker, const std::string& task) {
  for (int i = 0; i < 300; ++i) {
    auto s = subtask_status(worker, task);
    if (s["stage"] == "Paused") return s;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  BOOST_FAIL("task " + task + " did not pause; worker log:\n" + worker.log());
  return {};
}

void every_type_through_schema_changes(const std::string& row_metadata) {
  auto options = sandbox_options::with_server_id(1);
  options.row_metadata = row_metadata;
  mariadb_sandbox upstream{options};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_source(worker, "up", upstream);
  start_task(worker, "task.yaml", task_yaml("types", {"up"}, downstream));

  typed_workload workload{"typed", 5150};
  auto conn = upstream.connect();
  BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
  workload.run(conn, 400);
  size_t changes = 400, schema_changes = 0;
  for (auto what = workload.next_schema_change(conn); !what.empty();
       what = workload.next_schema_change(conn)) {
    ++schema_changes;
    BOOST_TEST_MESSAGE("schema change " << schema_changes << ": " << what);
    workload.run(conn, 300);
    changes += 300;
  }
  wait_synced(worker, "types", upstream);

  for (auto db : workload.kept_databases()) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  auto diff = compare_database(upstream, downstream, "typed");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  // The structures match too, column for column.
  for (auto table : {"alltypes", "nokey", "cuk_renamed"}) {
    auto columns = "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT FROM "
                   "information_schema.COLUMNS WHERE TABLE_SCHEMA = 'typed' AND TABLE_NAME = '" +
                   std::string{table} + "' ORDER BY ORDINAL_POSITION";
    BOOST_CHECK_MESSAGE(rows_of(upstream, columns) == rows_of(downstream, columns),
                        "columns of typed." << table << " differ");
  }
  for (auto db : workload.dropped_databases())
    BOOST_CHECK_MESSAGE(!has_database(downstream, db), db << " was not dropped downstream");
  auto status = subtask_status(worker, "types");
  bool warned = false;
  for (auto& w : status["warnings"])
    warned = warned || w.get<std::string>().find("typed.nokey") != std::string::npos;
  BOOST_CHECK_MESSAGE(warned, "query-status does not warn about typed.nokey: " << status.dump());
  BOOST_TEST_MESSAGE("binlog_row_metadata=" << row_metadata << ": " << changes << " changes and "
                                            << schema_changes
                                            << " schema changes, every table identical (alltypes "
                                            << row_count(upstream, "typed.alltypes")
                                            << " rows, nokey "
                                            << row_count(upstream, "typed.nokey") << ")");
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_type_through_schema_changes_with_full_row_metadata) {
  every_type_through_schema_changes("FULL");
}

BOOST_AUTO_TEST_CASE(every_type_through_schema_changes_without_row_metadata) {
  every_type_through_schema_changes("NO_LOG");
}

BOOST_AUTO_TEST_CASE(routes_filters_and_block_allow_list_shape_the_downstream) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_source(worker, "up", upstream);
  auto yaml = "name: \"shape\"\ntask-mode: incremental\ntarget-database:\n"
              "  host: \"127.0.0.1\"\n  port: " +
              std::to_string(downstream.port()) +
              "\n  user: \"root\"\n  password: \"\"\n"
              "block-allow-list:\n  bal:\n    ignore-dbs: [\"secret\"]\n"
              "routes:\n  merge:\n    schema-pattern: \"shard_*\"\n    target-schema: \"merged\"\n"
              "filters:\n  keep-logs:\n    schema-pattern: \"shard_*\"\n    table-pattern: \"logs\"\n"
              "    events: [\"delete\"]\n    action: Ignore\n"
              "mysql-instances:\n  - source-id: \"up\"\n    block-allow-list: \"bal\"\n"
              "    route-rules: [\"merge\"]\n    filter-rules: [\"keep-logs\"]\n";
  start_task(worker, "task.yaml", yaml);

  auto conn = upstream.connect();
  for (int shard : {1, 2}) {
    auto db = "shard_" + std::to_string(shard);
    BOOST_REQUIRE(!conn.execute(
        "CREATE DATABASE " + db + ";CREATE TABLE " + db +
        ".users (id INT PRIMARY KEY, name VARCHAR(20), score INT);CREATE TABLE " + db +
        ".logs (id INT PRIMARY KEY, msg VARCHAR(40))"));
  }
  BOOST_REQUIRE(!conn.execute("CREATE DATABASE secret;CREATE TABLE secret.data (id INT PRIMARY "
                              "KEY, v TEXT);INSERT INTO secret.data VALUES (1, 'hidden')"));
  // Disjoint ids per shard; every third user and every second log deleted, some updated.
  std::mt19937 rng{7};
  std::map<int, std::string> expected_logs;
  for (int i = 0; i < 600; ++i) {
    int shard = 1 + i % 2;
    auto db = "shard_" + std::to_string(shard);
    int id = shard * 100000 + i;
    auto msg = "m" + std::to_string(rng() % 1000);
    BOOST_REQUIRE(!conn.execute("BEGIN;INSERT INTO " + db + ".users VALUES (" +
                                std::to_string(id) + ", 'u" + std::to_string(i) + "', " +
                                std::to_string(rng() % 100) + ");INSERT INTO " + db +
                                ".logs VALUES (" + std::to_string(id) + ", '" + msg +
                                "');COMMIT"));
    expected_logs[id] = msg;
    if (i % 3 == 0)
      BOOST_REQUIRE(!conn.execute("DELETE FROM " + db + ".users WHERE id = " + std::to_string(id)));
    if (i % 5 == 0)
      BOOST_REQUIRE(!conn.execute("UPDATE " + db + ".users SET score = score + 1000 WHERE id <= " +
                                  std::to_string(id)));
    if (i % 2 == 0) {
      BOOST_REQUIRE(!conn.execute("UPDATE " + db + ".logs SET msg = 'changed' WHERE id = " +
                                  std::to_string(id) + ";DELETE FROM " + db +
                                  ".logs WHERE id = " + std::to_string(id)));
      expected_logs[id] = "changed";
    }
  }
  BOOST_REQUIRE(!conn.execute("CREATE TABLE shard_1.only_one (a INT PRIMARY KEY);INSERT INTO "
                              "shard_1.only_one VALUES (1), (2);CREATE TABLE secret.more (a INT)"));
  wait_synced(worker, "shape", upstream);

  // merged.users is the union of both shards' users.
  auto union_users = rows_of(upstream, "SELECT * FROM (SELECT * FROM shard_1.users UNION ALL "
                                       "SELECT * FROM shard_2.users) u ORDER BY id");
  auto merged_users = rows_of(downstream, "SELECT * FROM merged.users ORDER BY id");
  BOOST_CHECK_EQUAL(merged_users.size(), union_users.size());
  BOOST_CHECK_MESSAGE(merged_users == union_users, "merged.users differs from the shards' union");
  // merged.logs kept every log: deletes were filtered, updates were not.
  std::vector<std::string> logs;
  for (auto& [id, msg] : expected_logs) logs.push_back(std::to_string(id) + "|" + msg);
  auto merged_logs = rows_of(downstream, "SELECT * FROM merged.logs ORDER BY id");
  BOOST_CHECK_EQUAL(merged_logs.size(), 600u);
  BOOST_CHECK_MESSAGE(merged_logs == logs, "merged.logs lost rows or updates");
  BOOST_CHECK_EQUAL(row_count(upstream, "shard_1.logs") + row_count(upstream, "shard_2.logs"),
                    300u);
  BOOST_CHECK(rows_of(downstream, "SELECT a FROM merged.only_one ORDER BY a") ==
              (std::vector<std::string>{"1", "2"}));
  // Nothing of the ignored database, nor the shard databases under their own names.
  for (auto db : {"secret", "shard_1", "shard_2"})
    BOOST_CHECK_MESSAGE(!has_database(downstream, db), db << " exists downstream");
  BOOST_TEST_MESSAGE("routes merged " << merged_users.size() << " users and "
                                      << merged_logs.size() << " logs (300 deletes filtered)");

  // One shard's TRUNCATE would empty the merged table of every shard's rows: the part stops,
  // saying so, with them kept; the operator replaces it with what removes that shard's rows.
  BOOST_REQUIRE(!conn.execute("TRUNCATE TABLE shard_2.users"));
  auto paused = wait_paused(worker, "shape");
  auto error = paused["last_error"].get<std::string>();
  BOOST_CHECK_MESSAGE(error.find("TRUNCATE TABLE shard_2.users would act on `merged`.`users`, "
                                 "into which a route merges other upstream tables too") !=
                          std::string::npos,
                      error);
  BOOST_CHECK(rows_of(downstream, "SELECT * FROM merged.users ORDER BY id") == merged_users);
  auto replaced = worker.dmctl(
      {"binlog", "replace", "shape", "DELETE FROM merged.users WHERE id BETWEEN 200000 AND 299999"});
  BOOST_REQUIRE_MESSAGE(replaced.exit_code == 0, replaced.err);
  wait_synced(worker, "shape", upstream);
  BOOST_CHECK(rows_of(downstream, "SELECT * FROM merged.users ORDER BY id") ==
              rows_of(upstream, "SELECT * FROM shard_1.users ORDER BY id"));
}

BOOST_AUTO_TEST_CASE(one_source_feeds_two_downstreams) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox first{sandbox_options::with_server_id(2)};
  mariadb_sandbox second{sandbox_options::with_server_id(3)};
  worker_process worker;
  create_source(worker, "up", upstream);
  start_task(worker, "a.yaml", task_yaml("to-first", {"up"}, first));
  // The second task with other parallelism: 4 appliers, batches of 20.
  start_task(worker, "b.yaml",
             task_yaml("to-second", {"up"}, second,
                       "    syncer-config-name: \"s\"\nsyncers:\n  s:\n    worker-count: 4\n"
                       "    batch: 20\n"));
  mixed_workload workload{"shop", 11};
  auto conn = upstream.connect();
  BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
  workload.run(conn, 4000);
  wait_synced(worker, "to-first", upstream);
  wait_synced(worker, "to-second", upstream);
  for (auto* down : {&first, &second}) {
    auto diff = compare_database(upstream, *down, "shop");
    BOOST_CHECK_MESSAGE(diff.empty(), diff);
  }
}

BOOST_AUTO_TEST_CASE(two_sources_feed_one_downstream) {
  mariadb_sandbox left{sandbox_options::with_server_id(1)};
  mariadb_sandbox right{sandbox_options::with_server_id(2)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(3)};
  worker_process worker;
  create_source(worker, "left", left);
  create_source(worker, "right", right);
  start_task(worker, "task.yaml", task_yaml("both", {"left", "right"}, downstream));
  mixed_workload a{"shop_left", 1}, b{"shop_right", 2};
  auto ca = left.connect(), cb = right.connect();
  BOOST_REQUIRE(!ca.execute(a.schema_sql()));
  BOOST_REQUIRE(!cb.execute(b.schema_sql()));
  std::thread other{[&] { b.run(cb, 3000); }};
  a.run(ca, 3000);
  other.join();
  wait_synced(worker, "both", left, std::chrono::seconds{180}, "left");
  wait_synced(worker, "both", right, std::chrono::seconds{180}, "right");
  for (auto [server, db] : {std::pair{&left, "shop_left"}, std::pair{&right, "shop_right"}}) {
    auto diff = compare_database(*server, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
}

BOOST_AUTO_TEST_CASE(handle_error_skips_a_row_and_replaces_a_ddl) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_source(worker, "up", upstream);
  start_task(worker, "task.yaml", task_yaml("he", {"up"}, downstream));
  upstream.execute("CREATE DATABASE he; CREATE TABLE he.t (id INT PRIMARY KEY, v INT); "
                   "INSERT INTO he.t VALUES (1, 1)");
  wait_synced(worker, "he", upstream);

  // A row the downstream already has: the insert fails with a duplicate key.
  downstream.execute("INSERT INTO he.t VALUES (5, 0)");
  upstream.execute("INSERT INTO he.t VALUES (5, 5)");
  upstream.execute("INSERT INTO he.t VALUES (6, 6)");
  auto paused = wait_paused(worker, "he");
  BOOST_CHECK_MESSAGE(paused["last_error"].get<std::string>().find("Duplicate entry") !=
                          std::string::npos,
                      paused.dump());
  BOOST_REQUIRE_MESSAGE(paused["error_binlog"]["file"] != "", paused.dump());
  auto text = worker.dmctl({"query-status", "he"});
  BOOST_CHECK_MESSAGE(text.out.find("handle-error he skip") != std::string::npos, text.out);
  // Nothing to handle for an unknown task; a bad action is refused by dmctl.
  BOOST_CHECK(worker.dmctl({"handle-error", "nope", "skip"}).exit_code != 0);
  BOOST_CHECK(worker.dmctl({"handle-error", "he", "ignore"}).exit_code != 0);
  auto skipped = worker.dmctl({"handle-error", "he", "skip"});
  BOOST_REQUIRE_MESSAGE(skipped.exit_code == 0, skipped.err);
  upstream.execute("UPDATE he.t SET v = 0 WHERE id = 5");
  wait_synced(worker, "he", upstream);
  auto diff = compare_database(upstream, downstream, "he");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  // Running again: handle-error has nothing to act on.
  BOOST_CHECK(worker.dmctl({"handle-error", "he", "skip"}).exit_code != 0);

  // A column the downstream already has, with another type: the ALTER fails; the operator
  // replaces it with one that makes the downstream match.
  downstream.execute("ALTER TABLE he.t ADD COLUMN z BIGINT");
  upstream.execute("ALTER TABLE he.t ADD COLUMN z INT DEFAULT 3");
  upstream.execute("INSERT INTO he.t VALUES (7, 7, 7)");
  paused = wait_paused(worker, "he");
  BOOST_CHECK_MESSAGE(paused["last_error"].get<std::string>().find("z") != std::string::npos,
                      paused.dump());
  auto replaced = worker.dmctl(
      {"handle-error", "he", "replace", "ALTER TABLE he.t MODIFY z INT DEFAULT 3; UPDATE he.t SET z = 3"});
  BOOST_REQUIRE_MESSAGE(replaced.exit_code == 0, replaced.err);
  wait_synced(worker, "he", upstream);
  diff = compare_database(upstream, downstream, "he");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(subtask_status(worker, "he")["stage"], "Running");
  // The worker's log says what the operator decided.
  BOOST_CHECK(worker.log().find("replaced the event") != std::string::npos);

  // DM's spelling: binlog skip TASK, with a global option after the command.
  downstream.execute("INSERT INTO he.t VALUES (8, 0, 0)");
  upstream.execute("INSERT INTO he.t VALUES (8, 8, 8)");
  wait_paused(worker, "he");
  auto dm_skip = worker.dmctl({"binlog", "skip", "he", "--json"});
  BOOST_REQUIRE_MESSAGE(dm_skip.exit_code == 0, dm_skip.err);
  auto skip_json = nlohmann::json::parse(dm_skip.out);
  BOOST_CHECK_MESSAGE(skip_json["result"] == true && skip_json["tasks"][0]["name"] == "he",
                      dm_skip.out);
  upstream.execute("UPDATE he.t SET v = 0, z = 0 WHERE id = 8");
  wait_synced(worker, "he", upstream);
  diff = compare_database(upstream, downstream, "he");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  // query-status -s keeps the named sources; an unknown one is an error; a mistyped command
  // is named with the nearest one.
  auto by_source = worker.dmctl({"query-status", "he", "-s", "up", "--json"});
  BOOST_REQUIRE_MESSAGE(by_source.exit_code == 0, by_source.err);
  auto by_source_json = nlohmann::json::parse(by_source.out);
  BOOST_CHECK_MESSAGE(by_source_json["tasks"][0]["sources"].size() == 1 &&
                          by_source_json["sources"].size() == 1,
                      by_source.out);
  auto no_source = worker.dmctl({"query-status", "he", "-s", "nope"});
  BOOST_CHECK_MESSAGE(no_source.exit_code != 0 &&
                          no_source.err.find("source nope") != std::string::npos,
                      no_source.err);
  auto typo = worker.dmctl({"query-stauts", "he"});
  BOOST_CHECK_MESSAGE(typo.exit_code != 0 &&
                          typo.err.find("did you mean 'query-status'") != std::string::npos,
                      typo.err);
}
