// Names that differ only in letter case (lower_case_table_names=0, the default on Linux) are
// different databases and tables everywhere: in the copy's chunks and their completion marks,
// in the exactly-once marks of sync, in row changes and in schema changes. Two databases and, in
// each, keyed and keyless pairs of tables, through an all-mode copy with several chunks per
// table, a SIGKILL, row changes and DDL.
#define BOOST_TEST_MODULE case_names
#include <boost/test/unit_test.hpp>

#include <regex>
#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

const std::vector<std::string> databases = {"cs", "Cs"};
const std::vector<std::string> keyed = {"Upper_Table", "upper_table", "UPPER_TABLE"};
const std::vector<std::string> keyless = {"Log", "log"};

std::string name(const std::string& db, const std::string& table) {
  return "`" + db + "`.`" + table + "`";
}

// Different contents per table, so that rows landing in the wrong twin are seen.
void write(const mariadb_sandbox& upstream, int from, int to) {
  for (size_t d = 0; d < databases.size(); ++d) {
    for (size_t t = 0; t < keyed.size(); ++t)
      upstream.execute("INSERT INTO " + name(databases[d], keyed[t]) + " SELECT seq, " +
                       std::to_string(d * 10 + t) + ", CONCAT('" + keyed[t] + "', seq) FROM " +
                       "cs.seq_" + std::to_string(from) + "_to_" + std::to_string(to));
    for (size_t t = 0; t < keyless.size(); ++t)
      upstream.execute("INSERT INTO " + name(databases[d], keyless[t]) + " SELECT seq % 7, '" +
                       databases[d] + keyless[t] + "' FROM cs.seq_" + std::to_string(from) +
                       "_to_" + std::to_string(from + (to - from) / 10));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(names_differing_only_in_case_stay_apart_everywhere) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  BOOST_REQUIRE_EQUAL(*upstream.query("SELECT @@lower_case_table_names")[0][0], "0");
  for (auto& db : databases) {
    upstream.execute("CREATE DATABASE `" + db + "` CHARACTER SET utf8mb4");
    for (auto& t : keyed)
      upstream.execute("CREATE TABLE " + name(db, t) +
                       " (id INT PRIMARY KEY, k INT NOT NULL, s VARCHAR(40), KEY k (k))");
    for (auto& t : keyless) upstream.execute("CREATE TABLE " + name(db, t) + " (a INT, b TEXT)");
  }
  write(upstream, 1, 3000);

  auto task = task_yaml("cs", {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n"
                        "    syncer-config-name: \"s\"\n"
                        "mydumpers:\n  d:\n    threads: 2\n    rows: 500\n"
                        "syncers:\n  s:\n    worker-count: 4\n");
  task = std::regex_replace(task, std::regex{"task-mode: incremental"}, "task-mode: all");
  create_source_and_start_task(worker, "up", upstream, task);
  wait_synced(worker, "cs", upstream);
  write(upstream, 3001, 3500);
  // 3 x 7 chunks of each keyed table and 1 of each keyless one, in two databases: no mark was
  // taken for its twin's.
  BOOST_CHECK_EQUAL(
      *downstream.query("SELECT COUNT(*) FROM dm_meta.load_marks WHERE task = 'cs'")[0][0],
      std::to_string(2 * (3 * 7 + 2)));

  // Row changes to one twin only, with a worker SIGKILL in between (exactly-once marks of the
  // keyless twins are kept apart too).
  upstream.execute("UPDATE `cs`.`Upper_Table` SET s = 'upper only' WHERE id % 10 = 0");
  upstream.execute("DELETE FROM `Cs`.`upper_table` WHERE id % 3 = 0");
  upstream.execute("INSERT INTO `cs`.`Log` VALUES (100, 'Log only'), (100, 'Log only')");
  worker.kill();
  upstream.execute("INSERT INTO `cs`.`log` VALUES (200, 'log only')");
  upstream.execute("DELETE FROM `Cs`.`Log` WHERE a = 3 LIMIT 5");
  worker.start();
  // Schema changes to one twin.
  upstream.execute("ALTER TABLE `cs`.`UPPER_TABLE` ADD COLUMN extra INT DEFAULT 5");
  upstream.execute("RENAME TABLE `Cs`.`Upper_Table` TO `Cs`.`Upper_Table_2`");
  upstream.execute("CREATE TABLE `Cs`.`Upper_table` LIKE `cs`.`upper_table`");
  upstream.execute("INSERT INTO `Cs`.`Upper_table` SELECT * FROM `cs`.`upper_table` LIMIT 10");
  upstream.execute("DROP TABLE `cs`.`log`");
  upstream.execute("INSERT INTO `cs`.`upper_table` VALUES (9001, 1, 'late')");
  upstream.execute("INSERT INTO `Cs`.`log` VALUES (9001, 'late')");
  wait_synced(worker, "cs", upstream);

  for (auto& db : databases) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  BOOST_CHECK_EQUAL(row_count(downstream, "`Cs`.`Upper_table`"), 10u);
  BOOST_CHECK_GT(row_count(downstream, "`cs`.`Log`"), 300u);
}
