// Values whose bytes the binlog or a record does not keep as the server stores them:
// - BINARY(n) values end in 0x00 padding the binlog strips: rows matched by such a column
//   (a keyless table's rows, or a BINARY primary key) must still be found downstream;
// - latin1 (not UTF-8) key values end dump chunks: their bounds are kept in RocksDB records;
// - FLOAT negative zero (a server stores a -0 it is given as 0, prints it as 0, and -0 + 0 is
//   0), keyed and keyless (where -0 and 0 compare equal).
// All through an all-mode copy with small chunks, updates and deletes, and a SIGKILL.
#define BOOST_TEST_MODULE byte_values
#include <boost/test/unit_test.hpp>

#include <regex>

#include "test/support/harness.hpp"

using namespace dm::test;

BOOST_AUTO_TEST_CASE(padded_binary_and_latin1_key_bounds_replicate_exactly) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  upstream.execute("CREATE DATABASE bv CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  // Keyless: rows are matched by every column, the BINARY one included.
  upstream.execute("CREATE TABLE bv.keyless (u INT, b BINARY(4), v INT)");
  // A BINARY primary key, whose values end in zero bytes.
  upstream.execute("CREATE TABLE bv.bin_key (k BINARY(8) PRIMARY KEY, v INT)");
  // A latin1 key: with 3 rows per chunk, chunk bounds fall on non-UTF-8 bytes.
  upstream.execute("CREATE TABLE bv.latin (name VARCHAR(20) CHARACTER SET latin1 PRIMARY KEY, "
                   "v INT)");
  upstream.execute(
      "INSERT INTO bv.keyless SELECT seq, UNHEX(CONCAT(LPAD(HEX(seq % 7), 2, '0'), IF(seq % 2, "
      "'', 'AB'))), 0 FROM bv.seq_1_to_60");
  upstream.execute("INSERT INTO bv.bin_key SELECT UNHEX(LPAD(HEX(seq), 4, '0')), 0 FROM "
                   "bv.seq_1_to_40");
  upstream.execute("INSERT INTO bv.latin SELECT CONCAT(_latin1 X'E9', seq, _latin1 X'E8FF'), 0 "
                   "FROM bv.seq_1_to_40");
  upstream.execute("CREATE TABLE bv.zeros (id INT PRIMARY KEY, f FLOAT, d DOUBLE)");
  upstream.execute("CREATE TABLE bv.zeros_keyless (f FLOAT, d DOUBLE, v INT)");
  // A FLOAT holds -0 as the underflow of a tiny negative value (servers store a -0 given as 0).
  upstream.execute("INSERT INTO bv.zeros VALUES (1, -1e-50, 0), (2, 0e0, 0e0), (3, 1.5, -2e0)");
  upstream.execute("INSERT INTO bv.zeros_keyless VALUES (-1e-50, 0, 0), (0e0, 0, 0)");

  auto task = task_yaml("bv", {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n"
                        "mydumpers:\n  d:\n    threads: 2\n    rows: 3\n");
  task = std::regex_replace(task, std::regex{"task-mode: incremental"}, "task-mode: all");
  create_source_and_start_task(worker, "up", upstream, task);
  wait_synced(worker, "bv", upstream);
  auto status = task_source_status(worker, "bv");
  BOOST_CHECK_EQUAL(status["restarts"], 0);  // the copy did not fail on the latin1 bounds

  for (int round = 0; round < 2; ++round) {
    auto r = std::to_string(round);
    upstream.execute("UPDATE bv.keyless SET v = v + 1 WHERE u % 3 = " + r);
    upstream.execute("DELETE FROM bv.keyless WHERE u % 5 = " + r);
    upstream.execute("UPDATE bv.bin_key SET v = v + 1 WHERE v = " + r);
    upstream.execute("DELETE FROM bv.bin_key WHERE HEX(k) LIKE '%" + r + "0%'");
    upstream.execute("UPDATE bv.latin SET v = v + 1 WHERE name LIKE CONCAT(_latin1 X'E9', '" +
                     std::to_string(round + 1) + "%')");
    upstream.execute("INSERT INTO bv.zeros VALUES (" + std::to_string(10 + round) +
                     ", -1e-50, 0)");
    upstream.execute("UPDATE bv.zeros SET f = IF(ATAN2(f, -1) < 0, 0, -1e-50) WHERE id = 2");
    // Only the -0 row: the +0 row, equal to it but for the sign, must stay as it is.
    upstream.execute("UPDATE bv.zeros_keyless SET v = v + 1 WHERE ATAN2(f, -1) < 0");
    if (round == 0) {
      worker.kill();
      worker.start();
    }
  }
  wait_synced(worker, "bv", upstream);
  auto diff = compare_database(upstream, downstream, "bv");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  // The updates and deletes found their rows (a no-op would compare unequal too, but say so).
  BOOST_CHECK_EQUAL(*downstream.query("SELECT COUNT(*) FROM bv.keyless WHERE v > 0")[0][0],
                    *upstream.query("SELECT COUNT(*) FROM bv.keyless WHERE v > 0")[0][0]);
  BOOST_CHECK_NE(*downstream.query("SELECT COUNT(*) FROM bv.keyless WHERE v > 0")[0][0], "0");
  // Negative zeros were there to keep (CHECKSUM TABLE tells -0 from 0; it prints as 0, and
  // ATAN2 tells it by its sign).
  auto negative_zeros = "SELECT COUNT(*) FROM bv.zeros WHERE f = 0 AND ATAN2(f, -1) < 0";
  BOOST_CHECK_EQUAL(*upstream.query(negative_zeros)[0][0], "3");
  BOOST_CHECK_EQUAL(*downstream.query(negative_zeros)[0][0], "3");
  auto bumped = "SELECT v FROM bv.zeros_keyless WHERE ATAN2(f, -1) < 0";
  BOOST_CHECK_EQUAL(*upstream.query(bumped)[0][0], "2");
  BOOST_CHECK_EQUAL(*downstream.query(bumped)[0][0], "2");
}
