// stop-task removes every trace of a task, on the worker and downstream, so that a task started
// again under the same name copies and syncs everything anew: after the downstream tables were
// emptied, after the downstream database was dropped, after a stop-task that could not reach
// the downstream (its leftover marks belong to another run and are not trusted), and with
// start-task --remove-meta. Within one run, a resumed load does not trust a completion mark
// whose table was emptied since.
#define BOOST_TEST_MODULE stop_start
#include <boost/test/unit_test.hpp>

#include <regex>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

// shop.orders: keyed, three chunks; shop.notes: no key (one chunk, exactly-once marks in sync).
void populate(const mariadb_sandbox& upstream) {
  upstream.execute("CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  upstream.execute(
      "CREATE TABLE shop.orders (id INT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(40), "
      "KEY qty (qty))");
  upstream.execute(
      "INSERT INTO shop.orders SELECT seq, seq % 17, CONCAT('n', seq) FROM shop.seq_1_to_3000");
  upstream.execute("CREATE TABLE shop.notes (a INT, b VARCHAR(20))");
  upstream.execute("INSERT INTO shop.notes SELECT seq % 10, 'x' FROM shop.seq_1_to_500");
}

// Changes to both tables after the copy, numbered from `from`.
void write_more(const mariadb_sandbox& upstream, int from) {
  auto n = std::to_string(from);
  upstream.execute("INSERT INTO shop.orders VALUES (" + n + ", 1, 'later')");
  upstream.execute("UPDATE shop.orders SET qty = qty + 1 WHERE id % 100 = " +
                   std::to_string(from % 100));
  upstream.execute("DELETE FROM shop.orders WHERE id = " + std::to_string(from % 3000 + 1));
  upstream.execute("INSERT INTO shop.notes VALUES (" + n + ", 'later'), (" + n + ", 'later')");
  upstream.execute("DELETE FROM shop.notes WHERE a = " + std::to_string(from % 10) + " LIMIT 3");
}

std::string all_task(const mariadb_sandbox& downstream, int threads, int pool, int rows) {
  auto text = task_yaml("again", {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n"
                        "    loader-config-name: \"l\"\n"
                        "mydumpers:\n  d:\n    threads: " + std::to_string(threads) +
                            "\n    rows: " + std::to_string(rows) + "\n"
                            "loaders:\n  l:\n    pool-size: " + std::to_string(pool) + "\n");
  return std::regex_replace(text, std::regex{"task-mode: incremental"}, "task-mode: all");
}

uint64_t meta_rows(const mariadb_sandbox& downstream, const std::string& table) {
  auto rows = downstream.query("SELECT COUNT(*) FROM dm_meta." + table + " WHERE task = 'again'");
  return std::stoull(*rows.at(0).at(0));
}

void expect_identical(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
                      const std::string& when) {
  auto diff = compare_database(upstream, downstream, "shop");
  BOOST_CHECK_MESSAGE(diff.empty(), when << ": " << diff);
  // Not two empty tables compared.
  BOOST_CHECK_MESSAGE(row_count(downstream, "shop.orders") > 2900, when);
}

void stop_task(const worker_process& worker, const std::string& expected_warning = "") {
  auto r = worker.dmctl({"stop-task", "again"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  if (expected_warning.empty())
    BOOST_CHECK_MESSAGE(r.out.find("warning") == std::string::npos, r.out);
  else
    BOOST_CHECK_MESSAGE(r.out.find(expected_warning) != std::string::npos, r.out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_task_started_again_under_its_name_copies_everything_again) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  populate(upstream);
  auto task_file = worker.write_file("again.yaml", all_task(downstream, 2, 2, 1000));
  auto source = worker.write_file("up.yaml", source_yaml("up", upstream));
  BOOST_REQUIRE_EQUAL(worker.dmctl({"operate-source", "create", source}).exit_code, 0);
  auto start = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"start-task", task_file};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = worker.dmctl(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  };

  start();
  write_more(upstream, 5000);
  wait_synced(worker, "again", upstream);
  expect_identical(upstream, downstream, "first run");
  // orders: 3 chunks of 1000 rows and the open-ended one after them; notes: 1.
  BOOST_CHECK_EQUAL(meta_rows(downstream, "load_marks"), 5u);
  BOOST_CHECK_EQUAL(meta_rows(downstream, "apply_marks"), 1u);  // shop.notes, changed in sync

  // 1. The downstream tables are emptied after stop-task.
  stop_task(worker);
  BOOST_CHECK_EQUAL(meta_rows(downstream, "load_marks"), 0u);
  BOOST_CHECK_EQUAL(meta_rows(downstream, "apply_marks"), 0u);
  downstream.execute("TRUNCATE shop.orders; TRUNCATE shop.notes");
  write_more(upstream, 5001);
  start();
  wait_synced(worker, "again", upstream);
  expect_identical(upstream, downstream, "after the tables were emptied");

  // 2. The downstream database is dropped after stop-task.
  stop_task(worker);
  downstream.execute("DROP DATABASE shop");
  write_more(upstream, 5002);
  start();
  wait_synced(worker, "again", upstream);
  expect_identical(upstream, downstream, "after the database was dropped");

  // 3. stop-task cannot reach the downstream: it stops, says so, and the rows left behind are
  // not trusted by the next task of the name (and removed by it).
  downstream.stop();
  stop_task(worker, "could not be removed");
  downstream.start();
  BOOST_CHECK_EQUAL(meta_rows(downstream, "load_marks"), 5u);
  downstream.execute("TRUNCATE shop.orders; TRUNCATE shop.notes");
  write_more(upstream, 5003);
  start();
  wait_synced(worker, "again", upstream);
  expect_identical(upstream, downstream, "after a stop that left marks behind");
  BOOST_CHECK_EQUAL(meta_rows(downstream, "load_marks"), 5u);
  BOOST_CHECK_EQUAL(downstream.query("SELECT COUNT(DISTINCT run) FROM dm_meta.load_marks WHERE "
                                     "task = 'again'")[0][0].value_or(""),
                    "1");

  // 4. start-task --remove-meta removes what the last stop left behind before it starts.
  downstream.stop();
  stop_task(worker, "could not be removed");
  downstream.start();
  downstream.execute("DROP TABLE shop.orders; TRUNCATE shop.notes");
  start({"--remove-meta"});
  BOOST_CHECK_EQUAL(worker.count_log_lines("removed the meta of earlier task again"), 1u);
  write_more(upstream, 5004);
  wait_synced(worker, "again", upstream);
  expect_identical(upstream, downstream, "after start-task --remove-meta");
}

BOOST_AUTO_TEST_CASE(a_resumed_load_loads_again_a_marked_chunk_whose_table_was_emptied) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  populate(upstream);
  // One chunk per table, one connection each way: tables are dumped and loaded in name order,
  // so shop.vals comes last; its downstream copy cannot hold its values yet, so the load pauses
  // with the chunks of shop.notes and shop.orders loaded and marked.
  upstream.execute("CREATE TABLE shop.vals (id INT PRIMARY KEY, v INT NOT NULL)");
  upstream.execute("INSERT INTO shop.vals SELECT seq, seq * 10 FROM shop.seq_1_to_300");
  downstream.execute("CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  downstream.execute("CREATE TABLE shop.vals (id INT PRIMARY KEY, v TINYINT NOT NULL)");
  create_source_and_start_task(worker, "up", upstream, all_task(downstream, 1, 1, 5000));
  auto paused = wait_task_stage(worker, "again", "Paused");
  BOOST_CHECK_MESSAGE(paused["last_error"].get<std::string>().find("shop") != std::string::npos,
                      paused.dump());
  BOOST_REQUIRE_EQUAL(row_count(downstream, "shop.orders"), 3000u);

  // The operator empties a loaded table and fixes the one that failed, then resumes.
  downstream.execute("TRUNCATE shop.orders");
  downstream.execute("ALTER TABLE shop.vals MODIFY v INT NOT NULL");
  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "again"}).exit_code, 0);
  write_more(upstream, 7000);
  wait_synced(worker, "again", upstream);
  expect_identical(upstream, downstream, "after the resumed load");
  BOOST_CHECK_EQUAL(
      worker.count_log_lines("is recorded loaded, but `shop`.`orders` holds 0 of its 3000 rows"),
      1u);
}
