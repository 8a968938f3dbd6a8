// Relay log bytes damaged on the local disk: an event whose CRC32 no longer matches is noticed
// by the syncer reading it, fetched again from the upstream and stored over the damaged copy;
// when the upstream no longer has the file, the task pauses with one line saying what to do.
// Either way nothing wrong reaches the downstream.
#define BOOST_TEST_MODULE relay_corruption
#include <boost/test/unit_test.hpp>

#include <thread>

#include "storage/database.hpp"
#include "storage/relay_log.hpp"
#include "test/support/harness.hpp"
#include "test/support/workload.hpp"

using namespace dm::test;

namespace {

// An upstream with app.* replicated by task "t" into a downstream; the task is paused and the
// upstream writes more, which the relay stores but the syncer has not read.
struct paused_with_backlog {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  mixed_workload workload{"app", 5};

  paused_with_backlog() {
    create_source_and_start_task(worker, "up", upstream, task_yaml("t", {"up"}, downstream));
    auto conn = upstream.connect();
    if (auto err = conn.execute(workload.schema_sql())) throw std::runtime_error(dm::describe(err));
    workload.run(conn, 300);
    wait_synced(worker, "t", upstream);
    if (worker.dmctl({"pause-task", "t"}).exit_code != 0) throw std::runtime_error("pause-task");
    workload.run(conn, 300);
  }

};

bool is_rows_event(const std::string& event) {
  auto type = static_cast<uint8_t>(event.at(4));
  return (type >= 23 && type <= 25) || (type >= 30 && type <= 32);
}

// With the worker stopped: flips a byte in the middle of the last rows event of binlog file
// number `file_index` in the relay log of source "up"; returns the event as it was.
dm::storage::stored_event damage_last_rows_event(const worker_process& worker,
                                                 uint32_t file_index) {
  auto db = dm::storage::database::open(worker.data_dir());
  if (!db) throw std::runtime_error(dm::describe(db.error()));
  dm::storage::relay_log relay{*db, "up"};
  std::vector<dm::storage::stored_event> events;
  auto n = relay.read({0, file_index, 0}, {0, file_index + 1, 0}, 1000000, 1u << 30, events);
  if (!n) throw std::runtime_error(dm::describe(n.error()));
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (!is_rows_event(it->bytes)) continue;
    auto damaged = it->bytes;
    damaged[damaged.size() / 2] ^= 0x5a;
    if (auto err = relay.overwrite_event(it->key, damaged))
      throw std::runtime_error(dm::describe(err));
    return *it;
  }
  throw std::runtime_error("no rows event in the relay log");
}

std::string stored_bytes(const worker_process& worker, const dm::relay_key& key) {
  auto db = dm::storage::database::open_read_only(worker.data_dir());
  if (!db) throw std::runtime_error(dm::describe(db.error()));
  dm::storage::relay_log relay{*db, "up"};
  std::vector<dm::storage::stored_event> events;
  auto n = relay.read(key, {key.segment, key.file_index, key.offset + 1}, 1, 1u << 30, events);
  if (!n || *n != 1) throw std::runtime_error("the relay event is gone");
  return events.front().bytes;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_damaged_relay_event_is_fetched_again_from_the_upstream,
                        paused_with_backlog) {
  wait_relay_caught_up(worker, "up", upstream);
  worker.stop();
  auto original = damage_last_rows_event(worker, 1);
  BOOST_REQUIRE_NE(stored_bytes(worker, original.key), original.bytes);

  worker.start();
  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "t"}).exit_code, 0);
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_MESSAGE(worker.log().find("fails its CRC32 check; fetching the event again") !=
                          std::string::npos,
                      worker.log());
  BOOST_CHECK(worker.log().find("repaired the relay event at binlog.000001:" +
                                std::to_string(original.key.offset)) != std::string::npos);
  worker.stop();
  BOOST_CHECK(stored_bytes(worker, original.key) == original.bytes);
}

BOOST_FIXTURE_TEST_CASE(a_damaged_relay_event_the_upstream_purged_pauses_the_task_clearly,
                        paused_with_backlog) {
  upstream.execute("FLUSH BINARY LOGS");
  wait_relay_caught_up(worker, "up", upstream);
  worker.stop();
  auto original = damage_last_rows_event(worker, 1);
  upstream.execute("PURGE BINARY LOGS TO 'binlog.000002'");

  worker.start();
  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "t"}).exit_code, 0);
  nlohmann::json source;
  for (int i = 0; i < 100; ++i) {
    source = worker.dmctl_json({"query-status", "t"})["tasks"][0]["sources"][0];
    if (source["stage"] == "Paused") break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  BOOST_REQUIRE_MESSAGE(source["stage"] == "Paused", source.dump());
  auto error = source["last_error"].get<std::string>();
  BOOST_CHECK_MESSAGE(error.find("relay event at binlog.000001:" +
                                 std::to_string(original.key.offset) +
                                 " of source up fails its CRC32 check and the upstream no longer "
                                 "has binlog.000001") != std::string::npos,
                      error);
  BOOST_CHECK_MESSAGE(error.find("task-mode all") != std::string::npos, error);
  BOOST_CHECK_MESSAGE(error.find('\n') == std::string::npos, error);
  // The task's checkpoint stays before the damaged event: nothing from it on was applied.
  auto synced = source["synced_binlog"];
  BOOST_REQUIRE_MESSAGE(synced.is_object(), source.dump());
  BOOST_CHECK_EQUAL(synced["file"], "binlog.000001");
  BOOST_CHECK_LE(synced["pos"].get<uint32_t>(), original.key.offset);
}
