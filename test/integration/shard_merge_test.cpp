// Shard tables merged into one downstream table by a route with extract-source, extract-schema
// and extract-table: two upstream servers x two shard databases x two shard tables, every one
// with an auto-increment key counting from 1, so that their keys collide. An all-mode task
// copies them while writers insert, update and delete on every shard, then follows them. The
// downstream table (created beforehand with the extract columns in its primary key) must end
// holding every row of every shard exactly once, tagged with where it came from, also after one
// shard is truncated and another dropped. A merge without extract columns, or with ones that
// give two tables the same values (auto_increment_ID), or into a downstream table whose key
// lacks them (schema_of_shard_tables), is refused by the precheck.
#define BOOST_TEST_MODULE shard_merge
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "test/support/etcd_cluster.hpp"
#include "test/support/harness.hpp"

using namespace dm::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> shard_dbs = {"shop_1", "shop_2"};
const std::vector<std::string> shard_tables = {"orders_a", "orders_b"};

void require_ok(const command_result& r, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, what << ": " << r.err << r.out);
}

// Every shard table, with rows; `keyless`: without any key (the writers' rows get no id).
void create_shards(const mariadb_sandbox& server, int rows, bool keyless = false) {
  for (auto& db : shard_dbs) {
    server.execute("CREATE DATABASE " + db);
    for (auto& t : shard_tables) {
      server.execute("CREATE TABLE " + db + "." + t + " (id INT" +
                     (keyless ? "" : " AUTO_INCREMENT PRIMARY KEY") + ", item VARCHAR(40) NOT "
                     "NULL, amount DECIMAL(10,2))");
      std::string values;
      for (int i = 0; i < rows; ++i)
        values += (i ? "," : "") + std::string{"("} + std::to_string(i + 1) + ", '" + db + "/" +
                  t + "/" + std::to_string(i) + "', " + std::to_string(i % 500) + ".25)";
      server.execute("INSERT INTO " + db + "." + t + " (id, item, amount) VALUES " + values);
    }
  }
}

// Inserts, updates and deletes on every shard table until stopped.
class shard_writer {
 public:
  shard_writer(const mariadb_sandbox& server, uint64_t seed)
      : thread_{[this, &server, seed] {
          std::mt19937_64 rng{seed};
          auto conn = server.connect();
          while (!stop_) {
            auto& db = shard_dbs[rng() % shard_dbs.size()];
            auto& t = shard_tables[rng() % shard_tables.size()];
            auto name = db + "." + t;
            auto id = std::to_string(1 + rng() % 3000);
            std::string sql;
            switch (rng() % 3) {
              case 0: sql = "INSERT INTO " + name + " (item, amount) VALUES ('w" + id + "', 1.5)";
                break;
              case 1: sql = "UPDATE " + name + " SET amount = amount + 1 WHERE id = " + id; break;
              default: sql = "DELETE FROM " + name + " WHERE id = " + id; break;
            }
            if (conn.execute(sql)) throw std::runtime_error("writer: " + sql);
            ++changes_;
          }
        }} {}
  ~shard_writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t changes() const { return changes_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<size_t> changes_{0};
  std::thread thread_;
};

// "source|db|table|id|item|amount" of every row of the shard tables `server` still has.
std::multiset<std::string> shard_rows(const mariadb_sandbox& server, const std::string& source) {
  std::multiset<std::string> out;
  for (auto& db : shard_dbs)
    for (auto& t : shard_tables) {
      if (server.query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db +
                       "' AND TABLE_NAME = '" + t + "'").empty())
        continue;
      for (auto& r : server.query("SELECT id, item, amount FROM " + db + "." + t))
        out.insert(source + "|" + db + "|" + t + "|" + r[0].value_or("NULL") + "|" +
                   r[1].value_or("NULL") + "|" + r[2].value_or("NULL"));
    }
  return out;
}

enum class extracts { none, source_only, all };

std::string merge_task(const std::string& name, const mariadb_sandbox& downstream,
                       extracts extract) {
  std::string route = "routes:\n  merge:\n    schema-pattern: \"shop_*\"\n    table-pattern: "
                      "\"orders_*\"\n    target-schema: \"shop\"\n    target-table: \"orders\"\n";
  if (extract != extracts::none)
    route += "    extract-source:\n      source-regexp: \"(.*)\"\n      target-column: "
             "\"c_source\"\n";
  if (extract == extracts::all)
    route += "    extract-schema:\n      schema-regexp: \"shop_(.*)\"\n      "
             "target-column: \"c_schema\"\n    extract-table:\n      table-regexp: "
             "\"orders_(.*)\"\n      target-column: \"c_table\"\n";
  return "name: \"" + name + "\"\ntask-mode: all\ntarget-database:\n  host: \"" +
         downstream.host() + "\"\n  port: " + std::to_string(downstream.port()) +
         "\n  user: \"root\"\n  password: \"\"\n" + route +
         "mydumpers:\n  small:\n    threads: 2\n    rows: 500\n"
         "mysql-instances:\n"
         "  - source-id: \"east\"\n    route-rules: [\"merge\"]\n    mydumper-config-name: "
         "\"small\"\n"
         "  - source-id: \"west\"\n    route-rules: [\"merge\"]\n    mydumper-config-name: "
         "\"small\"\n";
}

void create_sources(const worker_process& worker, const mariadb_sandbox& east,
                    const mariadb_sandbox& west) {
  for (auto [id, server] : {std::pair{"east", &east}, std::pair{"west", &west}})
    require_ok(worker.dmctl({"operate-source", "create",
                             worker.write_file(std::string{id} + ".yaml",
                                               source_yaml(id, *server))}),
               "operate-source create");
}

// Every shard table of both servers, as "db.table" with its server.
std::vector<std::pair<const mariadb_sandbox*, std::string>> all_shards(
    const mariadb_sandbox& east, const mariadb_sandbox& west) {
  std::vector<std::pair<const mariadb_sandbox*, std::string>> out;
  for (auto* server : {&east, &west})
    for (auto& db : shard_dbs)
      for (auto& t : shard_tables) out.emplace_back(server, db + "." + t);
  return out;
}

// Compares every row of every shard (id, item, amount and `more` columns, comma-separated) with
// the merged table shop.orders, tagged by its extract columns; prints `what` with the count.
void check_merged_rows(const mariadb_sandbox& east, const mariadb_sandbox& west,
                       const mariadb_sandbox& downstream, const std::string& more,
                       const std::string& what) {
  auto columns = "id, item, amount" + (more.empty() ? "" : ", " + more);
  std::multiset<std::string> expected, merged;
  auto line = [](const std::vector<std::optional<std::string>>& r, size_t from) {
    std::string out;
    for (size_t i = from; i < r.size(); ++i) out += "|" + r[i].value_or("NULL");
    return out;
  };
  for (auto& [server, table] : all_shards(east, west))
    for (auto& r : server->query("SELECT " + columns + " FROM " + table)) {
      auto dot = table.find('.');
      expected.insert(std::string{server == &east ? "east" : "west"} + "|" +
                      table.substr(0, dot) + "|" + table.substr(dot + 1) + line(r, 0));
    }
  for (auto& r : downstream.query("SELECT c_source, c_schema, c_table, " + columns +
                                  " FROM shop.orders"))
    merged.insert(r[0].value_or("NULL") + "|shop_" + r[1].value_or("NULL") + "|orders_" +
                  r[2].value_or("NULL") + line(r, 3));
  std::cout << "shard_merge " << what << ": " << expected.size() << " rows compared" << std::endl;
  BOOST_CHECK_EQUAL(merged.size(), expected.size());
  BOOST_CHECK_MESSAGE(merged == expected, what << ": the merged table differs from the shards' "
                                                  "union");
}

// The merged table with extract columns in its key, created beforehand downstream; `keyless`:
// a unique key on a nullable id, which is no key to match rows by (its changes are then applied
// exactly once, by apply marks).
void create_merged_table(const mariadb_sandbox& downstream, bool keyless = false) {
  downstream.execute(std::string{"CREATE DATABASE shop; CREATE TABLE shop.orders (c_source "
                                 "VARCHAR(20) NOT NULL, c_schema VARCHAR(20) NOT NULL, c_table "
                                 "VARCHAR(20) NOT NULL, id INT, item VARCHAR(40) NOT NULL, "
                                 "amount DECIMAL(10,2)"} +
                     (keyless ? ", UNIQUE KEY (c_source, c_schema, c_table, id))"
                              : ", PRIMARY KEY (c_source, c_schema, c_table, id))"));
}

// COUNT and type of column `name` of the merged table ("1 varchar(20)", or "0 ").
std::string merged_column(const mariadb_sandbox& downstream, const std::string& name) {
  return *downstream.query("SELECT CONCAT(COUNT(*), ' ', IFNULL(MAX(COLUMN_TYPE), '')) FROM "
                           "information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' AND "
                           "TABLE_NAME = 'orders' AND COLUMN_NAME = '" + name + "'")[0][0];
}

// Distinct index names of the merged table.
std::string merged_index_count(const mariadb_sandbox& downstream) {
  return *downstream.query("SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS "
                           "WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders'")[0][0];
}

// Two upstreams with every shard table (`rows` rows each), a downstream with the merged table,
// and a worker with both sources.
struct merge_setup {
  mariadb_sandbox east{sandbox_options::with_server_id(1)};
  mariadb_sandbox west{sandbox_options::with_server_id(3)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;

  explicit merge_setup(int rows, bool keyless = false, worker_options options = {})
      : worker{std::move(options)} {
    create_shards(east, rows, keyless);
    create_shards(west, rows, keyless);
    create_merged_table(downstream, keyless);
    create_sources(worker, east, west);
  }
};

// Waits (up to 60 s) until both parts of `task` copied their tables and follow the binlog.
void wait_both_in_sync(const worker_process& worker, const std::string& task) {
  for (int i = 0; i < 600; ++i) {
    if (task_source_status(worker, task, "east")["unit"] == "Sync" &&
        task_source_status(worker, task, "west")["unit"] == "Sync")
      return;
    std::this_thread::sleep_for(100ms);
  }
}

// The three schema changes of the merge cases, made shard by shard, 100 ms apart (the
// first also fills the new column on some rows); `halfway(c)` runs once half the shards made
// change `c`.
void change_shard_by_shard(
    const std::vector<std::pair<const mariadb_sandbox*, std::string>>& shards,
    const std::function<void(size_t)>& halfway) {
  const std::vector<std::string> changes = {"ADD COLUMN note VARCHAR(20)",
                                            "ADD INDEX idx_amount (amount)",
                                            "MODIFY item VARCHAR(60) NOT NULL"};
  for (size_t c = 0; c < changes.size(); ++c)
    for (size_t i = 0; i < shards.size(); ++i) {
      auto& [server, table] = shards[i];
      server->execute("ALTER TABLE " + table + " " + changes[c]);
      if (c == 0) server->execute("UPDATE " + table + " SET note = 'n' WHERE id % 7 = 0");
      std::this_thread::sleep_for(100ms);
      if (i + 1 == shards.size() / 2) halfway(c);
    }
}

// As merge_setup, in a cluster: a one-member etcd, workers w1 and w2 joined to it, source east
// on w1 and west on w2 (created and placed through etcd).
struct cluster_merge_setup {
  etcd_cluster etcd{1};
  mariadb_sandbox east{sandbox_options::with_server_id(1)};
  mariadb_sandbox west{sandbox_options::with_server_id(3)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  std::vector<std::unique_ptr<worker_process>> workers;

  explicit cluster_merge_setup(int rows) {
    create_shards(east, rows);
    create_shards(west, rows);
    create_merged_table(downstream);
    for (auto* name : {"w1", "w2"}) {
      worker_options o;
      o.name = name;
      o.extra_toml = "join = \"" + etcd.endpoints() + "\"\nkeepalive-ttl = 4\n";
      workers.push_back(std::make_unique<worker_process>(o));
    }
    for (auto [id, server] : {std::pair{"east", &east}, std::pair{"west", &west}})
      dmctl({"operate-source", "create",
             w1().write_file(std::string{id} + ".yaml", source_yaml(id, *server))});
    dmctl({"transfer-source", "east", "w1"});
    dmctl({"transfer-source", "west", "w2"});
  }
  worker_process& w1() { return *workers[0]; }
  worker_process& w2() { return *workers[1]; }

  // dmctl --master-addr ETCD ARGS.
  command_result try_dmctl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{binary_path("dmctl"), "--master-addr", etcd.endpoints(),
                                  "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  // The same, required to succeed; its JSON answer.
  nlohmann::json dmctl(const std::vector<std::string>& args) const {
    auto r = try_dmctl(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "dmctl " << args.front() << ": " << r.out << r.err);
    return nlohmann::json::parse(r.out);
  }

  // Starts `task` (YAML) through etcd and waits (up to 60 s) until east's part on w1 and west's
  // on w2 copied their tables and follow the binlog.
  void start(const std::string& name, const std::string& task) {
    dmctl({"start-task", w1().write_file(name + ".yaml", task)});
    for (int i = 0; i < 600; ++i) {
      if (task_source_status(w1(), name, "east")["unit"] == "Sync" &&
          task_source_status(w2(), name, "west")["unit"] == "Sync")
        return;
      std::this_thread::sleep_for(100ms);
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(colliding_shards_merge_into_one_table_with_extract_columns) {
  mariadb_sandbox east{sandbox_options::with_server_id(1)};
  mariadb_sandbox west{sandbox_options::with_server_id(3)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_shards(east, 2000);
  create_shards(west, 2000);
  downstream.execute("CREATE DATABASE shop");
  // First a downstream table whose key lacks the extract columns.
  downstream.execute("CREATE TABLE shop.orders (c_source VARCHAR(20) NOT NULL, c_schema "
                     "VARCHAR(20) NOT NULL, c_table VARCHAR(20) NOT NULL, id INT NOT NULL, item "
                     "VARCHAR(40) NOT NULL, amount DECIMAL(10,2), PRIMARY KEY (id))");
  create_sources(worker, east, west);
  auto narrow_key = worker.dmctl({"start-task", worker.write_file("narrow.yaml",
                                                                  merge_task("narrow", downstream,
                                                                             extracts::all))});
  BOOST_CHECK_NE(narrow_key.exit_code, 0);
  BOOST_CHECK_MESSAGE(narrow_key.err.find("key PRIMARY of `shop`.`orders` downstream lacks "
                                          "extract column") != std::string::npos,
                      narrow_key.err);
  downstream.execute("DROP TABLE shop.orders");
  downstream.execute("CREATE TABLE shop.orders (c_source VARCHAR(20) NOT NULL, c_schema "
                     "VARCHAR(20) NOT NULL, c_table VARCHAR(20) NOT NULL, id INT NOT NULL, item "
                     "VARCHAR(40) NOT NULL, amount DECIMAL(10,2), PRIMARY KEY (c_source, "
                     "c_schema, c_table, id))");

  // Without extract columns the keys collide: the precheck says so and nothing starts.
  auto plain = worker.dmctl({"start-task", worker.write_file("plain.yaml",
                                                             merge_task("plain", downstream,
                                                                        extracts::none))});
  BOOST_CHECK_NE(plain.exit_code, 0);
  BOOST_CHECK_MESSAGE(plain.err.find("auto_increment_ID") != std::string::npos &&
                          plain.err.find("is merged into `shop`.`orders`") != std::string::npos &&
                          plain.err.find("extract-table") != std::string::npos,
                      plain.err);
  // Nor with extract columns that give the tables of one source the same values.
  auto coarse = worker.dmctl({"start-task", worker.write_file("coarse.yaml",
                                                              merge_task("coarse", downstream,
                                                                         extracts::source_only))});
  BOOST_CHECK_NE(coarse.exit_code, 0);
  BOOST_CHECK_MESSAGE(coarse.err.find("get the same extract values (c_source = 'east')") !=
                          std::string::npos,
                      coarse.err);

  size_t changes = 0;
  {
    shard_writer east_writer{east, 11}, west_writer{west, 12};
    require_ok(worker.dmctl({"start-task", worker.write_file("merge.yaml",
                                                             merge_task("merge", downstream,
                                                                        extracts::all))}),
               "start-task merge");
    wait_both_in_sync(worker, "merge");
    std::this_thread::sleep_for(2s);  // and some changes while syncing
    east_writer.stop();
    west_writer.stop();
    changes = east_writer.changes() + west_writer.changes();
  }
  // One shard emptied, another dropped: only their own rows leave the merged table.
  east.execute("TRUNCATE TABLE shop_2.orders_b");
  west.execute("DROP TABLE shop_1.orders_a");
  wait_synced(worker, "merge", east, std::chrono::seconds{180}, "east");
  wait_synced(worker, "merge", west, std::chrono::seconds{180}, "west");

  auto expected = shard_rows(east, "east");
  auto west_rows = shard_rows(west, "west");
  expected.insert(west_rows.begin(), west_rows.end());
  std::multiset<std::string> merged;
  for (auto& r : downstream.query("SELECT c_source, c_schema, c_table, id, item, amount FROM "
                                  "shop.orders"))
    merged.insert(r[0].value_or("NULL") + "|shop_" + r[1].value_or("NULL") + "|orders_" +
                  r[2].value_or("NULL") + "|" + r[3].value_or("NULL") + "|" +
                  r[4].value_or("NULL") + "|" + r[5].value_or("NULL"));
  std::cout << "shard_merge: " << expected.size() << " rows in 8 shard tables (" << changes
            << " changes during the copy and sync), " << merged.size() << " merged" << std::endl;
  BOOST_CHECK_GT(expected.size(), 6u * 1500);
  BOOST_CHECK_EQUAL(merged.size(), expected.size());
  BOOST_CHECK_MESSAGE(merged == expected, "the merged table differs from the shards' union");
  BOOST_CHECK_EQUAL(row_count(downstream, "shop.orders"), expected.size());
}

// shard-mode optimistic: every shard adds a column, then an index, then widens a column, one
// shard after another while writers change rows on every shard; the merged table gets each
// change once (the first shard's), every later shard's is left out, and rows keep flowing. A
// shard that narrows a column stops its part, saying the change cannot be merged; binlog skip
// goes on. Every row of every shard ends in the merged table exactly once.
BOOST_AUTO_TEST_CASE(optimistic_shard_mode_merges_each_shards_schema_changes_once) {
  merge_setup setup{300};
  auto& east = setup.east;
  auto& west = setup.west;
  auto& downstream = setup.downstream;
  auto& worker = setup.worker;
  auto task = merge_task("opt", downstream, extracts::all) + "shard-mode: optimistic\n";
  auto shards = all_shards(east, west);
  {
    shard_writer east_writer{east, 21}, west_writer{west, 22};
    require_ok(worker.dmctl({"start-task", worker.write_file("opt.yaml", task)}), "start-task");
    // (A schema change during the copy is not merged: the copy reads each table once.)
    wait_both_in_sync(worker, "opt");
    change_shard_by_shard(shards, [](size_t) {});
    std::this_thread::sleep_for(1s);
    east_writer.stop();
    west_writer.stop();
  }
  wait_synced(worker, "opt", east, std::chrono::seconds{180}, "east");
  wait_synced(worker, "opt", west, std::chrono::seconds{180}, "west");
  auto columns = [&](const std::string& name) { return merged_column(downstream, name); };
  BOOST_CHECK_EQUAL(columns("note"), "1 varchar(20)");
  BOOST_CHECK_EQUAL(columns("item"), "1 varchar(60)");
  BOOST_CHECK_EQUAL(merged_index_count(downstream),
                    "2");  // PRIMARY and idx_amount

  // A narrowing cannot be merged: that part stops, naming it; binlog skip goes on.
  east.execute("ALTER TABLE shop_1.orders_a MODIFY item VARCHAR(30) NOT NULL");
  east.execute("INSERT INTO shop_1.orders_a (item, amount, note) VALUES ('after', 2.5, 'a')");
  auto paused = wait_task_stage(worker, "opt", "Paused", std::chrono::seconds{60}, "east");
  auto error = paused["last_error"].get<std::string>();
  BOOST_CHECK_MESSAGE(error.find("shard shop_1.orders_a's 'MODIFY item VARCHAR(30) NOT NULL' "
                                 "cannot be merged into `shop`.`orders`: it narrows the column") !=
                          std::string::npos,
                      error);
  require_ok(worker.dmctl({"binlog", "skip", "opt", "-s", "east"}), "binlog skip");
  wait_synced(worker, "opt", east, std::chrono::seconds{60}, "east");
  BOOST_CHECK_EQUAL(columns("item"), "1 varchar(60)");

  check_merged_rows(east, west, downstream, "note", "optimistic (24 shard changes merged into 3)");
}

// shard-mode pessimistic: every shard adds a column, then an index, then widens a column, one
// shard after another while writers change rows on every shard. Each change waits until every
// shard made it: halfway through the first, show-ddl-locks names the four shards done and the
// four awaited, and the merged table does not have the column yet (the shards done hold their
// rows meanwhile). Halfway through the second the worker is SIGKILLed; started again, the lock
// goes on from where it was. Each change runs downstream once, and every row of every shard ends
// in the merged table exactly once.
BOOST_AUTO_TEST_CASE(pessimistic_shard_mode_runs_each_change_once_every_shard_made_it) {
  merge_setup setup{300};
  auto& east = setup.east;
  auto& west = setup.west;
  auto& downstream = setup.downstream;
  auto& worker = setup.worker;
  auto task = merge_task("pes", downstream, extracts::all) + "shard-mode: pessimistic\n";
  auto shards = all_shards(east, west);
  const std::string lock_id = "pes-`shop`.`orders`";
  {
    shard_writer east_writer{east, 31}, west_writer{west, 32};
    require_ok(worker.dmctl({"start-task", worker.write_file("pes.yaml", task)}), "start-task");
    wait_both_in_sync(worker, "pes");
    change_shard_by_shard(shards, [&](size_t c) {
      // Halfway: the lock waits for the other half.
      nlohmann::json locks;
      for (int tries = 0; tries < 100; ++tries) {
        locks = worker.dmctl_json({"show-ddl-locks", "pes"})["locks"];
        if (!locks.empty() && locks[0]["synced"].size() == shards.size() / 2) break;
        std::this_thread::sleep_for(100ms);
      }
      BOOST_REQUIRE_MESSAGE(locks.size() == 1, locks.dump());
      BOOST_CHECK_EQUAL(locks[0]["ID"], lock_id);
      BOOST_CHECK_EQUAL(locks[0]["synced"].size(), shards.size() / 2);
      BOOST_CHECK_EQUAL(locks[0]["unsynced"].size(), shards.size() / 2);
      BOOST_CHECK_MESSAGE(locks[0]["unsynced"].dump().find("west `shop_2`.`orders_b`") !=
                              std::string::npos,
                          locks.dump());
      if (c == 0) BOOST_CHECK_EQUAL(merged_column(downstream, "note"), "0 ");
      if (c == 1) {
        // A worker killed with a lock half done takes it up again.
        worker.kill();
        worker.start();
      }
    });
    std::this_thread::sleep_for(1s);
    east_writer.stop();
    west_writer.stop();
  }
  wait_synced(worker, "pes", east, std::chrono::seconds{180}, "east");
  wait_synced(worker, "pes", west, std::chrono::seconds{180}, "west");
  BOOST_CHECK(worker.dmctl_json({"show-ddl-locks"})["locks"].empty());
  BOOST_CHECK_EQUAL(merged_column(downstream, "note"), "1 varchar(20)");
  BOOST_CHECK_EQUAL(merged_column(downstream, "item"), "1 varchar(60)");
  BOOST_CHECK_EQUAL(merged_index_count(downstream),
                    "2");  // PRIMARY and idx_amount
  // Each change ran downstream once, by the shard that completed its lock.
  BOOST_CHECK_EQUAL(worker.count_log_lines("ran the change of DDL lock " + lock_id), 3u);
  check_merged_rows(east, west, downstream, "note", "pessimistic (24 shard changes, 3 locks)");
}

// shard-mode pessimistic, one shard never makes the change: the lock waits, and after
// shard-lock-report-after it is reported, naming the shard: in query-status, in the metrics and
// in the log. shard-ddl-lock unlock runs the change; the held rows follow; when the late shard
// makes the change after all, it is passed over. A shard making another change than the lock's
// stops its part, naming both; binlog skip goes on.
BOOST_AUTO_TEST_CASE(a_lock_awaiting_a_shard_is_reported_and_unlocked_by_hand) {
  worker_options options;
  options.metrics = true;
  options.extra_toml = "shard-lock-report-after = 2\n";
  merge_setup setup{200, false, options};
  auto& east = setup.east;
  auto& west = setup.west;
  auto& downstream = setup.downstream;
  auto& worker = setup.worker;
  auto task = merge_task("late", downstream, extracts::all) + "shard-mode: pessimistic\n";
  require_ok(worker.dmctl({"start-task", worker.write_file("late.yaml", task)}), "start-task");
  wait_both_in_sync(worker, "late");
  auto shards = all_shards(east, west);
  const auto& [late_server, late_table] = shards.back();
  const std::string lock_id = "late-`shop`.`orders`";
  {
    shard_writer east_writer{east, 41}, west_writer{west, 42};
    for (size_t i = 0; i + 1 < shards.size(); ++i)
      shards[i].first->execute("ALTER TABLE " + shards[i].second + " ADD COLUMN extra INT");
    std::this_thread::sleep_for(4s);
    auto status = task_source_status(worker, "late", "east");
    BOOST_CHECK_MESSAGE(status["warnings"].dump().find("shard DDL lock " + lock_id) !=
                                std::string::npos &&
                            status["warnings"].dump().find("west `shop_2`.`orders_b`") !=
                                std::string::npos,
                        status.dump());
    auto locks = worker.dmctl_json({"show-ddl-locks", "late"})["locks"];
    BOOST_REQUIRE_EQUAL(locks.size(), 1u);
    BOOST_CHECK(locks[0]["overdue"].get<bool>());
    BOOST_CHECK_EQUAL(locks[0]["unsynced"].dump(), "[\"west `shop_2`.`orders_b`\"]");
    auto metrics = scrape_metrics(worker);
    auto awaited = std::find_if(metrics.begin(), metrics.end(), [](const auto& m) {
      return m.first.rfind("dm_shard_lock_awaited_shards{", 0) == 0;
    });
    BOOST_REQUIRE(awaited != metrics.end());
    BOOST_CHECK_EQUAL(awaited->second, 1.0);
    BOOST_CHECK_GE(worker.count_log_lines("shard DDL lock " + lock_id + " has waited"), 1u);
    BOOST_CHECK_EQUAL(merged_column(downstream, "extra"), "0 ");
    auto unlocked = worker.dmctl({"shard-ddl-lock", "unlock", lock_id});
    require_ok(unlocked, "shard-ddl-lock unlock");
    BOOST_CHECK_MESSAGE(unlocked.out.find("excused: west `shop_2`.`orders_b`") != std::string::npos,
                        unlocked.out);
    std::this_thread::sleep_for(1s);
    east_writer.stop();
    west_writer.stop();
  }
  wait_synced(worker, "late", east, std::chrono::seconds{120}, "east");
  wait_synced(worker, "late", west, std::chrono::seconds{120}, "west");
  BOOST_CHECK_EQUAL(merged_column(downstream, "extra"), "1 int(11)");
  BOOST_CHECK(worker.dmctl_json({"show-ddl-locks", "late"})["locks"].empty());
  // The late shard makes the change after all: it is passed over.
  late_server->execute("ALTER TABLE " + late_table + " ADD COLUMN extra INT");
  late_server->execute("UPDATE " + late_table + " SET extra = id WHERE id % 5 = 0");
  for (auto& [server, table] : shards) server->execute("UPDATE " + table + " SET extra = 7 WHERE id % 11 = 0");
  wait_synced(worker, "late", west, std::chrono::seconds{60}, "west");
  wait_synced(worker, "late", east, std::chrono::seconds{60}, "east");
  BOOST_CHECK_EQUAL(task_source_status(worker, "late", "west")["stage"], "Running");
  check_merged_rows(east, west, downstream, "extra", "pessimistic, one shard late, unlocked");

  // Another change than the lock's stops that part.
  east.execute("ALTER TABLE shop_1.orders_a ADD COLUMN one INT");
  east.execute("ALTER TABLE shop_1.orders_b ADD COLUMN other INT");
  auto paused = wait_task_stage(worker, "late", "Paused", std::chrono::seconds{60}, "east");
  auto error = paused["last_error"].get<std::string>();
  BOOST_CHECK_MESSAGE(error.find("east `shop_1`.`orders_b` changed merged table `shop`.`orders`") !=
                              std::string::npos &&
                          error.find("waits for every shard to make") != std::string::npos,
                      error);
  require_ok(worker.dmctl({"shard-ddl-lock", "unlock", lock_id, "--force-remove"}),
             "unlock --force-remove");
  require_ok(worker.dmctl({"binlog", "skip", "late", "-s", "east"}), "binlog skip");
  wait_synced(worker, "late", east, std::chrono::seconds{60}, "east");
  BOOST_CHECK_EQUAL(merged_column(downstream, "one"), "0 ");
  BOOST_CHECK_EQUAL(merged_column(downstream, "other"), "0 ");

  // A shard dropped while a lock awaits it is no longer awaited: the lock resolves.
  for (size_t i = 0; i + 1 < shards.size(); ++i)
    shards[i].first->execute("ALTER TABLE " + shards[i].second + " ADD COLUMN z INT");
  late_server->execute("DROP TABLE " + late_table);
  wait_synced(worker, "late", west, std::chrono::seconds{60}, "west");
  wait_synced(worker, "late", east, std::chrono::seconds{60}, "east");
  BOOST_CHECK_EQUAL(merged_column(downstream, "z"), "1 int(11)");
  BOOST_CHECK(worker.dmctl_json({"show-ddl-locks"})["locks"].empty());

  // A lock change adding a foreign key cannot be held (foreign-key groups apply in one order).
  downstream.execute("CREATE DATABASE shop_1");
  east.execute("CREATE TABLE shop_1.customers (id INT PRIMARY KEY)");
  east.execute("ALTER TABLE shop_1.orders_a ADD CONSTRAINT fk_z FOREIGN KEY (z) REFERENCES "
               "shop_1.customers (id)");
  auto refused = wait_task_stage(worker, "late", "Paused", std::chrono::seconds{60}, "east");
  BOOST_CHECK_MESSAGE(refused["last_error"].get<std::string>().find(
                          "the change adds a foreign key to merged table `shop`.`orders`") !=
                          std::string::npos,
                      refused.dump());
  BOOST_CHECK(worker.dmctl_json({"show-ddl-locks"})["locks"].empty());
}

// shard-mode pessimistic in a cluster: source east on worker w1, west on w2, the task started
// through etcd, its locks kept in etcd. The changes of the one-worker case go shard by shard
// under writes; halfway through the second lock, w1 is SIGKILLed: east moves to w2, whose
// coordinator takes the lock up from etcd. Then one shard never makes a change: show-ddl-locks
// through the cluster names it, and shard-ddl-lock unlock resolves it. Every change runs
// downstream once; every row of every shard ends there exactly once.
BOOST_AUTO_TEST_CASE(pessimistic_locks_span_the_workers_of_a_cluster) {
  cluster_merge_setup setup{300};
  auto& east = setup.east;
  auto& west = setup.west;
  auto& downstream = setup.downstream;
  auto& w1 = setup.w1();
  auto& w2 = setup.w2();
  auto cluster = [&](const std::vector<std::string>& args) { return setup.dmctl(args); };
  auto shards = all_shards(east, west);
  const std::string lock_id = "pes-`shop`.`orders`";
  {
    // Written to from before the copy on.
    shard_writer east_writer{east, 51}, west_writer{west, 52};
    setup.start("pes", merge_task("pes", downstream, extracts::all) + "shard-mode: pessimistic\n");
    change_shard_by_shard(shards, [&](size_t c) {
      // Halfway (east's shards made it): the lock in etcd waits for west's, on w2.
      nlohmann::json locks;
      for (int tries = 0; tries < 100; ++tries) {
        locks = cluster({"show-ddl-locks", "pes"})["locks"];
        if (!locks.empty() && locks[0]["synced"].size() == shards.size() / 2) break;
        std::this_thread::sleep_for(100ms);
      }
      BOOST_REQUIRE_MESSAGE(locks.size() == 1, locks.dump());
      BOOST_CHECK_EQUAL(locks[0]["ID"], lock_id);
      BOOST_CHECK_EQUAL(locks[0]["unsynced"].size(), shards.size() / 2);
      if (c == 0) BOOST_CHECK_EQUAL(merged_column(downstream, "note"), "0 ");
      if (c == 1) {
        // The worker of the shards that made the change dies: east moves to w2.
        w1.kill();
        bool moved = false;
        for (int tries = 0; tries < 600 && !moved; ++tries) {
          try {
            moved = task_source_status(w2, "pes", "east")["unit"] == "Sync";
          } catch (const std::exception&) {  // not there yet
          }
          if (!moved) std::this_thread::sleep_for(100ms);
        }
        BOOST_REQUIRE_MESSAGE(moved, "east did not move to w2");
      }
    });
    std::this_thread::sleep_for(1s);
    east_writer.stop();
    west_writer.stop();
  }
  wait_synced(w2, "pes", east, std::chrono::seconds{180}, "east");
  wait_synced(w2, "pes", west, std::chrono::seconds{180}, "west");
  BOOST_CHECK(cluster({"show-ddl-locks"})["locks"].empty());
  BOOST_CHECK_EQUAL(merged_column(downstream, "note"), "1 varchar(20)");
  BOOST_CHECK_EQUAL(merged_column(downstream, "item"), "1 varchar(60)");
  BOOST_CHECK_EQUAL(merged_index_count(downstream), "2");
  BOOST_CHECK_EQUAL(w1.count_log_lines("ran the change of DDL lock " + lock_id) +
                        w2.count_log_lines("ran the change of DDL lock " + lock_id),
                    3u);
  check_merged_rows(east, west, downstream, "note", "pessimistic in a cluster");

  // w1 back: west goes there; one shard never makes the next change.
  w1.start();
  bool moved = false;
  for (int tries = 0; tries < 60 && !moved; ++tries) {
    moved = setup.try_dmctl({"transfer-source", "west", "w1"}).exit_code == 0;
    if (!moved) std::this_thread::sleep_for(500ms);
  }
  BOOST_REQUIRE(moved);
  for (size_t i = 0; i + 1 < shards.size(); ++i)
    shards[i].first->execute("ALTER TABLE " + shards[i].second + " ADD COLUMN extra INT");
  nlohmann::json locks;
  for (int tries = 0; tries < 100; ++tries) {
    locks = cluster({"show-ddl-locks", "pes"})["locks"];
    if (!locks.empty() && locks[0]["synced"].size() == shards.size() - 1) break;
    std::this_thread::sleep_for(100ms);
  }
  BOOST_REQUIRE_EQUAL(locks.size(), 1u);
  BOOST_CHECK_EQUAL(locks[0]["unsynced"].dump(), "[\"west `shop_2`.`orders_b`\"]");
  auto unlocked = cluster({"shard-ddl-lock", "unlock", lock_id});
  BOOST_CHECK_EQUAL(unlocked["lock"]["ID"], lock_id);
  wait_synced(w2, "pes", east, std::chrono::seconds{120}, "east");
  wait_synced(w1, "pes", west, std::chrono::seconds{120}, "west");
  BOOST_CHECK_EQUAL(merged_column(downstream, "extra"), "1 int(11)");
  BOOST_CHECK(cluster({"show-ddl-locks"})["locks"].empty());
  check_merged_rows(east, west, downstream, "", "pessimistic in a cluster, one shard unlocked");
}

// shard-mode optimistic in a cluster: east on w1, west on w2, an all-mode task copying while
// writers change every shard, then both merging their shards' changes into the one downstream
// table; a narrowing on east stops east's part, saying
// it cannot be merged, and binlog skip through the cluster goes on. Every row once.
BOOST_AUTO_TEST_CASE(optimistic_merging_spans_the_workers_of_a_cluster) {
  cluster_merge_setup setup{300};
  auto& east = setup.east;
  auto& west = setup.west;
  auto& downstream = setup.downstream;
  auto shards = all_shards(east, west);
  {
    // Written to from before the copy on.
    shard_writer east_writer{east, 61}, west_writer{west, 62};
    setup.start("opt", merge_task("opt", downstream, extracts::all) + "shard-mode: optimistic\n");
    change_shard_by_shard(shards, [](size_t) {});
    std::this_thread::sleep_for(1s);
    east_writer.stop();
    west_writer.stop();
  }
  wait_synced(setup.w1(), "opt", east, std::chrono::seconds{180}, "east");
  wait_synced(setup.w2(), "opt", west, std::chrono::seconds{180}, "west");
  BOOST_CHECK_EQUAL(merged_column(downstream, "note"), "1 varchar(20)");
  BOOST_CHECK_EQUAL(merged_column(downstream, "item"), "1 varchar(60)");
  BOOST_CHECK_EQUAL(merged_index_count(downstream), "2");

  east.execute("ALTER TABLE shop_1.orders_a MODIFY item VARCHAR(30) NOT NULL");
  east.execute("INSERT INTO shop_1.orders_a (item, amount, note) VALUES ('after', 2.5, 'a')");
  auto paused = wait_task_stage(setup.w1(), "opt", "Paused", std::chrono::seconds{60}, "east");
  BOOST_CHECK_MESSAGE(paused["last_error"].get<std::string>().find(
                          "cannot be merged into `shop`.`orders`: it narrows the column") !=
                          std::string::npos,
                      paused.dump());
  setup.dmctl({"binlog", "skip", "opt", "-s", "east"});
  wait_synced(setup.w1(), "opt", east, std::chrono::seconds{60}, "east");
  BOOST_CHECK_EQUAL(merged_column(downstream, "item"), "1 varchar(60)");
  check_merged_rows(east, west, downstream, "note", "optimistic in a cluster");
}

// shard-mode pessimistic under random interleaving: each server's shards make the same four
// schema changes (drawn by the seed from additions of columns of several types, indexes and
// widenings), each shard at its own pace, so that one shard may be several changes ahead of
// another on either source, while writers change rows everywhere. The merged table ends with
// every change once and every row of every shard exactly once. DM_SHARD_SEED=N replays a seed.
BOOST_AUTO_TEST_CASE(pessimistic_locks_under_random_interleaving) {
  const char* given = std::getenv("DM_SHARD_SEED");
  uint64_t seed = given ? std::stoull(given) : std::random_device{}();
  std::cout << "shard_merge random interleaving: seed " << seed << std::endl;
  std::mt19937_64 rng{seed};
  // Half the seeds merge keyless tables: the merged table's changes are then applied exactly
  // once by apply marks, one per shard.
  bool keyless = rng() % 2 == 0;
  std::cout << "  merged table " << (keyless ? "without a key" : "with a primary key") << std::endl;
  merge_setup setup{150, keyless};
  auto& east = setup.east;
  auto& west = setup.west;
  auto& downstream = setup.downstream;
  auto& worker = setup.worker;
  auto task = merge_task("mix", downstream, extracts::all) + "shard-mode: pessimistic\n";
  require_ok(worker.dmctl({"start-task", worker.write_file("mix.yaml", task)}), "start-task");
  wait_both_in_sync(worker, "mix");

  // Four changes, each once on every shard: columns c0.. of drawn types, an index, a widening.
  const std::vector<std::string> types = {"INT", "VARCHAR(16)", "DECIMAL(8,2)", "DATETIME",
                                          "BIGINT UNSIGNED", "TEXT"};
  std::vector<std::string> changes, added;
  for (int i = 0; changes.size() < 4; ++i) {
    switch (rng() % 3) {
      case 0: {
        auto name = "c" + std::to_string(i);
        changes.push_back("ADD COLUMN " + name + " " + types[rng() % types.size()]);
        added.push_back(name);
        break;
      }
      case 1: changes.push_back("ADD INDEX idx" + std::to_string(i) + " (amount)"); break;
      default:
        if (std::none_of(changes.begin(), changes.end(),
                         [](auto& c) { return c.rfind("MODIFY", 0) == 0; }))
          changes.push_back("MODIFY item VARCHAR(" + std::to_string(50 + rng() % 50) +
                            ") NOT NULL");
    }
  }
  for (auto& c : changes) std::cout << "  change: " << c << std::endl;
  {
    shard_writer east_writer{east, rng()}, west_writer{west, rng()};
    std::vector<std::thread> pacers;
    for (auto* server : {&east, &west}) {
      auto pace = rng();
      pacers.emplace_back([server, pace, &changes] {
        std::mt19937_64 r{pace};
        std::vector<size_t> done(shard_dbs.size() * shard_tables.size(), 0);
        auto conn = server->connect();
        // Each step, a random shard of this server makes its next change.
        for (size_t left = done.size() * changes.size(); left > 0; --left) {
          size_t s;
          do s = r() % done.size();
          while (done[s] == changes.size());
          auto table = shard_dbs[s / shard_tables.size()] + "." +
                       shard_tables[s % shard_tables.size()];
          if (conn.execute("ALTER TABLE " + table + " " + changes[done[s]++]))
            throw std::runtime_error("pacer: ALTER TABLE " + table);
          std::this_thread::sleep_for(std::chrono::milliseconds(r() % 150));
        }
      });
    }
    for (auto& p : pacers) p.join();
    std::this_thread::sleep_for(1s);
    east_writer.stop();
    west_writer.stop();
  }
  wait_synced(worker, "mix", east, std::chrono::seconds{180}, "east");
  wait_synced(worker, "mix", west, std::chrono::seconds{180}, "west");
  BOOST_CHECK(worker.dmctl_json({"show-ddl-locks"})["locks"].empty());
  BOOST_CHECK_EQUAL(worker.count_log_lines("ran the change of DDL lock mix-`shop`.`orders`"),
                    changes.size());
  std::string more;
  for (auto& name : added) {
    BOOST_CHECK_EQUAL(merged_column(downstream, name).substr(0, 2), "1 ");
    more += (more.empty() ? "" : ", ") + name;
  }
  check_merged_rows(east, west, downstream, more, "pessimistic, random interleaving");
}
