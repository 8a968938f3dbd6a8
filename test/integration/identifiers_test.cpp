// Names that need quoting (reserved words, backticks, quotes, spaces, backslashes, non-ASCII)
// and bytes that are not UTF-8 (latin1 text, binary strings and blobs) go through every path
// exactly: the dump and load of an all-mode task, row changes, and the DDL the syncer applies.
#define BOOST_TEST_MODULE identifiers
#include <boost/test/unit_test.hpp>

#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

// Databases of the test, as the server spells them.
const std::vector<std::string> databases = {"select", "db `tick` \"q\" 'a' \\b", "データ"};

// Rows with every awkward byte: quotes, backslash, NUL, ^Z, bytes above 0x7F that are not
// UTF-8, a lone UTF-8 lead byte in a binary string, and 4-byte UTF-8 in a utf8mb4 column.
// `kana_table`: the table of database データ to write to (it is renamed on the way).
void write_rows(const mariadb_sandbox& upstream, int from, int to,
                const std::string& kana_table = "表") {
  for (int i = from; i < to; ++i) {
    auto n = std::to_string(i);
    upstream.execute(
        "INSERT INTO `select`.`from` (`key`, `order`, `group`, `col``tick`, `日本`, `a\"b`, "
        "`x'y`, `back\\slash`) VALUES (" + n + ", 'o''" + n + "', " + n + ", 'it''s \\\\ `" + n +
        "`', '日本語 😀 " + n + "', " + n + ", -" + n + ", 'z')");
    upstream.execute(
        "INSERT INTO `db ``tick`` \"q\" 'a' \\b`.`t ``1`` \"2\"` VALUES (" + n +
        ", _latin1 X'E9E8FF" + (i % 2 ? "27" : "5C") + "', X'FF00FEC3" + (i % 3 ? "27" : "1A") +
        "', X'C328A0A1E282" + n.substr(0, 1) + "0')");
    upstream.execute("INSERT INTO `データ`.`" + kana_table + "` VALUES (" + n + ", '値 " + n + "')");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(awkward_names_and_non_utf8_bytes_replicate_exactly) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  upstream.execute("CREATE DATABASE `select`");
  upstream.execute(
      "CREATE TABLE `select`.`from` (`key` INT PRIMARY KEY, "
      "`order` VARCHAR(20), `group` INT, `col``tick` TEXT, `日本` VARCHAR(20) CHARACTER SET "
      "utf8mb4, `a\"b` INT, `x'y` INT, `back\\slash` CHAR(1), KEY `index` (`order`), "
      "UNIQUE KEY `uni``que` (`a\"b`))");
  upstream.execute("CREATE DATABASE `db ``tick`` \"q\" 'a' \\b`");
  upstream.execute(
      "CREATE TABLE `db ``tick`` \"q\" 'a' \\b`.`t ``1`` \"2\"` (id INT PRIMARY KEY, lat VARCHAR(20) CHARACTER SET latin1, "
      "bin VARBINARY(20), blb BLOB)");
  upstream.execute("CREATE DATABASE `データ` CHARACTER SET utf8mb4");
  upstream.execute("CREATE TABLE `データ`.`表` (`列` INT PRIMARY KEY, `値` VARCHAR(20))");
  write_rows(upstream, 1, 200);

  auto task = task_yaml("names", {"up"}, downstream);
  task.replace(task.find("task-mode: incremental"), 22, "task-mode: all");
  create_source_and_start_task(worker, "up", upstream, task);

  // Changes while and after the copy: rows, then DDL with awkward names, then rows again.
  write_rows(upstream, 200, 300);
  upstream.execute("UPDATE `select`.`from` SET `order` = CONCAT(`order`, '\\\\'''), "
                   "`col``tick` = NULL WHERE `key` % 3 = 0");
  upstream.execute("DELETE FROM `db ``tick`` \"q\" 'a' \\b`.`t ``1`` \"2\"` WHERE id % 5 = 0");
  upstream.execute(
      "UPDATE `db ``tick`` \"q\" 'a' \\b`.`t ``1`` \"2\"` SET lat = _latin1 X'FFFE', "
      "bin = X'00' WHERE id % 7 = 0");
  upstream.execute("ALTER TABLE `select`.`from` ADD COLUMN `new ``col`` ü` INT DEFAULT 7, "
                   "ADD KEY `k ``2``` (`group`)");
  upstream.execute("RENAME TABLE `データ`.`表` TO `データ`.`表 2`");
  upstream.execute("CREATE TABLE `select`.`where` LIKE `select`.`from`");
  upstream.execute("INSERT INTO `select`.`where` SELECT * FROM `select`.`from` WHERE `key` < 50");
  write_rows(upstream, 300, 320, "表 2");
  upstream.execute("UPDATE `データ`.`表 2` SET `値` = CONCAT(`値`, ' ✓')");

  wait_synced(worker, "names", upstream, std::chrono::seconds{300});
  for (auto& db : databases) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  // The comparison saw the tables (an empty database on both sides would also compare equal).
  BOOST_CHECK_EQUAL(row_count(downstream, "`select`.`where`"), 49u);
  BOOST_CHECK_EQUAL(row_count(downstream, "`データ`.`表 2`"), 319u);
  auto odd = downstream.query("SELECT HEX(lat), HEX(bin) FROM `db ``tick`` \"q\" 'a' "
                              "\\b`.`t ``1`` \"2\"` WHERE id = 1");
  BOOST_REQUIRE_EQUAL(odd.size(), 1u);
  BOOST_CHECK_EQUAL(*odd[0][0], "E9E8FF27");
  BOOST_CHECK_EQUAL(*odd[0][1], "FF00FEC327");
}
