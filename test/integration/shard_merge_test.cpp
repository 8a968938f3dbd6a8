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

#include <atomic>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> shard_dbs = {"shop_1", "shop_2"};
const std::vector<std::string> shard_tables = {"orders_a", "orders_b"};

void require_ok(const command_result& r, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, what << ": " << r.err << r.out);
}

// Every shard table, with rows.
void create_shards(const mariadb_sandbox& server, int rows) {
  for (auto& db : shard_dbs) {
    server.execute("CREATE DATABASE " + db);
    for (auto& t : shard_tables) {
      server.execute("CREATE TABLE " + db + "." + t + " (id INT AUTO_INCREMENT PRIMARY KEY, "
                     "item VARCHAR(40) NOT NULL, amount DECIMAL(10,2))");
      std::string values;
      for (int i = 0; i < rows; ++i)
        values += (i ? "," : "") + std::string{"(NULL, '"} + db + "/" + t + "/" +
                  std::to_string(i) + "', " + std::to_string(i % 500) + ".25)";
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
  for (auto [id, server] : {std::pair{"east", &east}, std::pair{"west", &west}})
    require_ok(worker.dmctl({"operate-source", "create",
                             worker.write_file(std::string{id} + ".yaml",
                                               source_yaml(id, *server))}),
               "operate-source create");
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
    for (int i = 0; i < 600; ++i) {
      auto a = task_source_status(worker, "merge", "east")["unit"];
      auto b = task_source_status(worker, "merge", "west")["unit"];
      if (a == "Sync" && b == "Sync") break;
      std::this_thread::sleep_for(100ms);
    }
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
