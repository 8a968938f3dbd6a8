// A row larger than the downstream's max_allowed_packet pauses the task with an error naming the
// table, the size and the setting to raise (it used to retry forever, Running with lag 0); rows
// that fit are applied, multi-row statements split to fit the packet. Once the operator raises
// the setting, resume-task applies everything. The copy of an all-mode task streams such rows
// (LOAD DATA needs no packet to hold a row); their later changes pause the same way.
#define BOOST_TEST_MODULE big_row
#include <boost/test/unit_test.hpp>

#include <regex>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

constexpr const char* up_packet = "--max-allowed-packet=128M";
constexpr const char* down_packet = "--max-allowed-packet=16M";

sandbox_options with_args(uint32_t id, const char* arg) {
  auto o = sandbox_options::with_server_id(id);
  o.extra_args.push_back(arg);
  return o;
}

void create_table(const mariadb_sandbox& upstream) {
  upstream.execute("CREATE DATABASE big CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  upstream.execute("CREATE TABLE big.blobs (id INT PRIMARY KEY, note VARCHAR(20), b LONGBLOB)");
}

// 40 rows of 1 MiB in one statement (one transaction of 40 MiB, more than the downstream's
// packet), then one row of 32 MiB.
void write_rows(const mariadb_sandbox& upstream, int base) {
  upstream.execute("INSERT INTO big.blobs SELECT " + std::to_string(base) +
                   " + seq, 'mib', REPEAT(CHAR(65 + seq % 26), 1048576) FROM big.seq_1_to_40");
  upstream.execute("INSERT INTO big.blobs VALUES (" + std::to_string(base + 100) +
                   ", 'huge', REPEAT('h', 33554432))");
}

void expect_packet_pause(const worker_process& worker, const std::string& task) {
  auto paused = wait_task_stage(worker, task, "Paused", std::chrono::seconds{180});
  auto error = paused["last_error"].get<std::string>();
  for (auto* part : {"`big`.`blobs`", "max_allowed_packet", "16777216"})
    BOOST_CHECK_MESSAGE(error.find(part) != std::string::npos,
                        "the error names " << part << ": " << error);
  BOOST_CHECK_MESSAGE(paused["synced"] == false, paused.dump());
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_row_larger_than_the_downstream_packet_pauses_the_sync_until_raised) {
  mariadb_sandbox upstream{with_args(1, up_packet)};
  mariadb_sandbox downstream{with_args(2, down_packet)};
  worker_process worker;
  create_table(upstream);
  downstream.execute("CREATE DATABASE big CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  downstream.execute("CREATE TABLE big.blobs (id INT PRIMARY KEY, note VARCHAR(20), b LONGBLOB)");
  create_source_and_start_task(worker, "up", upstream, task_yaml("big", {"up"}, downstream));
  upstream.execute("INSERT INTO big.blobs VALUES (1, 'small', 'x')");
  wait_synced(worker, "big", upstream);

  write_rows(upstream, 1000);
  expect_packet_pause(worker, "big");
  // The 40 MiB transaction of 1 MiB rows went through in statements that fit.
  BOOST_CHECK_EQUAL(row_count(downstream, "big.blobs"), 41u);

  downstream.execute("SET GLOBAL max_allowed_packet = 67108864");
  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "big"}).exit_code, 0);
  wait_synced(worker, "big", upstream);
  auto diff = compare_database(upstream, downstream, "big");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(row_count(downstream, "big.blobs"), 42u);
}

BOOST_AUTO_TEST_CASE(the_copy_streams_big_rows_and_their_later_changes_pause_until_raised) {
  mariadb_sandbox upstream{with_args(1, up_packet)};
  mariadb_sandbox downstream{with_args(2, down_packet)};
  worker_process worker;
  create_table(upstream);
  write_rows(upstream, 0);
  auto task = std::regex_replace(task_yaml("bigcopy", {"up"}, downstream),
                                 std::regex{"task-mode: incremental"}, "task-mode: all");
  create_source_and_start_task(worker, "up", upstream, task);
  // LOAD DATA streams the file, so the copy does not need the packet to hold a row.
  wait_synced(worker, "bigcopy", upstream);
  auto diff = compare_database(upstream, downstream, "big");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(row_count(downstream, "big.blobs"), 41u);

  // A change to the huge row needs a statement that holds it.
  upstream.execute("UPDATE big.blobs SET note = 'later' WHERE id % 2 = 0 OR id = 100");
  expect_packet_pause(worker, "bigcopy");
  downstream.execute("SET GLOBAL max_allowed_packet = 67108864");
  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "bigcopy"}).exit_code, 0);
  wait_synced(worker, "bigcopy", upstream);
  diff = compare_database(upstream, downstream, "big");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(
      downstream.query("SELECT COUNT(*) FROM big.blobs WHERE note = 'later'")[0][0].value_or(""),
      "21");
}
