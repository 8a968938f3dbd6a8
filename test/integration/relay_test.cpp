// The relay log as the upstream's durable copy: it survives SIGKILLs mid-stream, follows a
// failover to a promoted replica by GTID, purges by age and by disk space without removing what
// a task still needs, and reports itself in metrics.
#define BOOST_TEST_MODULE relay
#include <boost/test/unit_test.hpp>

#include <sys/mount.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/workload.hpp"

using namespace dm::test;

namespace {

nlohmann::json source_status(const worker_process& worker, const std::string& source) {
  return worker.dmctl_json({"operate-source", "show", "-s", source})["sources"][0];
}

// Rows written in big transactions: about 2 MB of binlog per call.
void write_bulk(dm::mysql_connection& conn, uint64_t& next) {
  std::string sql = "BEGIN";
  for (int s = 0; s < 4; ++s, next += 2500)
    sql += ";INSERT INTO bulk.t SELECT seq, seq % 977, CONCAT('row ', seq, ' ', REPEAT('y', seq % "
           "120)), NOW(6) FROM seq_" + std::to_string(next) + "_to_" +
           std::to_string(next + 2499);
  sql += ";UPDATE bulk.t SET k = k + 1 WHERE id % 50 = 0 AND id > " + std::to_string(next - 10000);
  sql += ";DELETE FROM bulk.t WHERE id % 97 = 0 AND id > " + std::to_string(next - 10000);
  sql += ";COMMIT";
  if (auto err = conn.execute(sql)) throw std::runtime_error(dm::describe(err));
}

}  // namespace

BOOST_AUTO_TEST_CASE(relay_equals_upstream_after_five_sigkills_over_200mb) {
  auto opts = sandbox_options::with_server_id(1);
  opts.extra_args = {"--max-binlog-size=32M"};
  mariadb_sandbox upstream{opts};
  worker_process worker;
  upstream.execute("CREATE DATABASE bulk; CREATE TABLE bulk.t (id BIGINT PRIMARY KEY, k INT, "
                   "note VARCHAR(200), at DATETIME(6))");
  auto created = worker.dmctl(
      {"operate-source", "create",
       worker.write_file("s.yaml", source_yaml("src", upstream,
                                               "relay-binlog-name: binlog.000001\n"))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);

  const uint64_t target = 210ull << 20;
  std::atomic<bool> done{false};
  std::string writer_error;
  std::thread writer{[&] {
    try {
      auto conn = upstream.connect();
      if (auto err = conn.execute("USE bulk")) throw std::runtime_error(dm::describe(err));
      uint64_t next = 1;
      while (binlog_bytes(upstream) < target) write_bulk(conn, next);
    } catch (const std::exception& e) {
      writer_error = e.what();
    }
    done = true;
  }};
  std::mt19937 rng{4242};
  std::uniform_int_distribution<int> pause(300, 2500);
  int kills = 0;
  for (; kills < 5; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds{pause(rng)});
    worker.kill();
    std::this_thread::sleep_for(std::chrono::milliseconds{pause(rng) / 5});
    worker.start();
  }
  writer.join();
  BOOST_REQUIRE_MESSAGE(writer_error.empty(), writer_error);
  BOOST_TEST_MESSAGE("killed the worker " << kills << " times while writing "
                                          << (binlog_bytes(upstream) >> 20) << " MB in "
                                          << upstream.query("SHOW BINARY LOGS").size()
                                          << " binlog files");
  BOOST_CHECK_GE(upstream.query("SHOW BINARY LOGS").size(), 5u);
  wait_relay_caught_up(worker, "src", upstream);
  size_t events = 0;
  auto diff = compare_relay_with_upstream(worker, "src", upstream, "binlog.000001", 4, &events);
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_TEST_MESSAGE("relay equals the upstream over " << events << " events");
  std::printf("relay test: %d SIGKILLs, relay equals upstream over %zu events\n", kills, events);
}

BOOST_AUTO_TEST_CASE(relay_follows_a_promoted_replica_by_gtid) {
  mariadb_sandbox primary{sandbox_options::with_server_id(1)};
  auto replica_opts = sandbox_options::with_server_id(3);
  replica_opts.extra_args = {"--log-slave-updates=ON"};
  mariadb_sandbox replica{replica_opts};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  // The replica follows the primary by GTID.
  replica.execute("CHANGE MASTER TO master_host='127.0.0.1', master_port=" +
                  std::to_string(primary.port()) +
                  ", master_user='root', master_use_gtid=slave_pos; START SLAVE");
  worker_process worker;
  auto address = primary.port();
  BOOST_REQUIRE_EQUAL(worker.dmctl({"operate-source", "create",
                                    worker.write_file("s.yaml", source_yaml("src", primary))})
                          .exit_code,
                      0);
  BOOST_REQUIRE_EQUAL(
      worker.dmctl({"start-task", worker.write_file("t.yaml", task_yaml("t", {"src"}, downstream))})
          .exit_code,
      0);
  mixed_workload workload{"app", 99};
  {
    auto conn = primary.connect();
    BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
    workload.run(conn, 3000);
  }
  wait_synced(worker, "t", primary);
  // The replica catches up, the primary goes away, the replica is promoted and takes over the
  // primary's address.
  auto gtid = *primary.query("SELECT @@gtid_binlog_pos")[0][0];
  for (int i = 0; i < 300; ++i) {
    if (*replica.query("SELECT @@gtid_slave_pos")[0][0] == gtid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  BOOST_REQUIRE_EQUAL(*replica.query("SELECT @@gtid_slave_pos")[0][0], gtid);
  primary.stop();
  replica.execute("STOP SLAVE; RESET SLAVE ALL");
  replica.move_to_port(address);
  {
    auto conn = replica.connect();
    workload.run(conn, 3000);
  }
  wait_synced(worker, "t", replica);
  auto diff = compare_database(replica, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  auto log = worker.log();
  BOOST_CHECK_MESSAGE(log.find("continuing in segment 1") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(purge_by_age_keeps_what_an_unfinished_task_needs) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  // Purge every second files whose events are older than an hour.
  BOOST_REQUIRE_EQUAL(
      worker.dmctl({"operate-source", "create",
                    worker.write_file("s.yaml",
                                      source_yaml("src", upstream,
                                                  "enable-relay: true\n"
                                                  "purge:\n  interval: 1\n  expires: 1\n"
                                                  "  remain-space: 0\n"))})
          .exit_code,
      0);
  BOOST_REQUIRE_EQUAL(
      worker.dmctl({"start-task", worker.write_file("t.yaml", task_yaml("t", {"src"}, downstream))})
          .exit_code,
      0);
  upstream.execute("CREATE DATABASE old; CREATE TABLE old.t (id INT PRIMARY KEY, v INT)");
  wait_synced(worker, "t", upstream);
  // The task cannot apply anything while its downstream is away, so it keeps needing the
  // files written meanwhile, though their events are three hours old.
  downstream.stop();
  for (int f = 0; f < 3; ++f)
    upstream.execute("SET timestamp = UNIX_TIMESTAMP() - 3 * 3600; INSERT INTO old.t VALUES (" +
                     std::to_string(f) + ", " + std::to_string(f) + "); FLUSH BINARY LOGS");
  upstream.execute("INSERT INTO old.t VALUES (100, 100)");
  wait_relay_caught_up(worker, "src", upstream);
  std::this_thread::sleep_for(std::chrono::seconds{3});  // a few purge intervals
  auto purge = worker.dmctl_json({"purge-relay", "-s", "src"});
  BOOST_CHECK_MESSAGE(purge["purged"].empty(), purge.dump());
  BOOST_CHECK_MESSAGE(!purge["kept"].empty(), purge.dump());
  // Back: the task catches up from the relay log alone, then the old files may go.
  downstream.start();
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "old");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  for (int i = 0; i < 100; ++i) {
    if (!source_status(worker, "src")["relay"]["last_purge"].get<std::string>().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  auto status = source_status(worker, "src");
  BOOST_CHECK_MESSAGE(status["relay"]["last_purge"].get<std::string>().find("expires") !=
                          std::string::npos,
                      status.dump());
  // The purged files are gone from the relay log; the task still runs.
  upstream.execute("INSERT INTO old.t VALUES (200, 200)");
  wait_synced(worker, "t", upstream);
}

BOOST_AUTO_TEST_CASE(purge_by_space_and_a_full_disk_pause) {
  // The worker's data dir on a small file system of its own, filled on purpose.
  auto mount_point = make_temp_dir("dm-small-disk");
  BOOST_REQUIRE_MESSAGE(::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=2304m") == 0,
                        "cannot mount a tmpfs at " << mount_point);
  struct unmount {
    std::string path;
    ~unmount() {
      ::umount2(path.c_str(), MNT_DETACH);
      remove_tree(path);
    }
  } cleanup{mount_point};
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_options wo;
  wo.data_dir = mount_point + "/data";
  worker_process worker{wo};
  // Keep 1 GiB free: with the filler below, the disk is short of that.
  BOOST_REQUIRE_EQUAL(
      worker.dmctl({"operate-source", "create",
                    worker.write_file("s.yaml", source_yaml("src", upstream,
                                                            "enable-relay: true\n"
                                                            "purge:\n  interval: 1\n"
                                                            "  remain-space: 1\n"))})
          .exit_code,
      0);
  BOOST_REQUIRE_EQUAL(
      worker.dmctl({"start-task", worker.write_file("t.yaml", task_yaml("t", {"src"}, downstream))})
          .exit_code,
      0);
  upstream.execute("CREATE DATABASE space; CREATE TABLE space.t (id INT PRIMARY KEY, v INT)");
  for (int f = 0; f < 3; ++f)
    upstream.execute("INSERT INTO space.t VALUES (" + std::to_string(f) + ", 0); FLUSH BINARY LOGS");
  wait_synced(worker, "t", upstream);
  // Now the task stops consuming (downstream away) and the disk fills up.
  downstream.stop();
  upstream.execute("INSERT INTO space.t VALUES (10, 0); FLUSH BINARY LOGS");
  upstream.execute("INSERT INTO space.t VALUES (11, 0)");
  wait_relay_caught_up(worker, "src", upstream);
  {
    std::ofstream filler{mount_point + "/filler", std::ios::binary};
    std::string mb(1 << 20, 'x');
    for (int i = 0; i < 1400; ++i) filler.write(mb.data(), mb.size());
  }
  // The files the task had applied go; the ones it still needs stay; the relay pauses.
  nlohmann::json status;
  for (int i = 0; i < 100; ++i) {
    status = source_status(worker, "src");
    if (status["relay"]["stage"] == "Paused") break;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  BOOST_CHECK_MESSAGE(status["relay"]["stage"] == "Paused", status.dump());
  BOOST_CHECK_MESSAGE(status["relay"]["last_error"].get<std::string>().find("remain-space") !=
                          std::string::npos,
                      status.dump());
  BOOST_CHECK_MESSAGE(status["relay"]["last_purge"].get<std::string>().find("low disk space") !=
                          std::string::npos,
                      status.dump());
  // Space back, downstream back: everything still needed was kept, so the task completes.
  std::filesystem::remove(mount_point + "/filler");
  downstream.start();
  upstream.execute("INSERT INTO space.t VALUES (12, 0)");
  wait_synced(worker, "t", upstream, std::chrono::seconds{240});
  auto diff = compare_database(upstream, downstream, "space");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
}

BOOST_AUTO_TEST_CASE(metrics_endpoint_reports_the_relay) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  worker_options wo;
  wo.metrics = true;
  worker_process worker{wo};
  BOOST_REQUIRE_EQUAL(worker.dmctl({"operate-source", "create",
                                    worker.write_file("s.yaml", source_yaml("src", upstream))})
                          .exit_code,
                      0);
  upstream.execute("CREATE DATABASE m; CREATE TABLE m.t (id INT PRIMARY KEY); INSERT INTO m.t "
                   "VALUES (1), (2)");
  wait_relay_caught_up(worker, "src", upstream);
  // Every sample line parses as: name{labels} value.
  auto samples = scrape_metrics(worker);
  BOOST_CHECK_GT(samples["dm_relay_bytes_written_total{source_id=\"src\"}"], 0);
  BOOST_CHECK_GT(samples["dm_relay_events_written_total{source_id=\"src\"}"], 0);
  BOOST_CHECK_GT(samples["dm_relay_write_seconds_count{source_id=\"src\"}"], 0);
  // DM's names and labels: node relay is what the relay log holds, node master the upstream.
  BOOST_CHECK_EQUAL(samples["dm_relay_binlog_pos{node=\"relay\",source_id=\"src\"}"],
                    master_position(upstream).second);
  BOOST_CHECK_EQUAL(samples["dm_relay_binlog_pos{node=\"master\",source_id=\"src\"}"],
                    master_position(upstream).second);
  BOOST_CHECK_GT(samples["dm_relay_space{type=\"capacity\"}"],
                 samples["dm_relay_space{type=\"available\"}"]);
  BOOST_CHECK_GT(samples["dm_relay_space{type=\"available\"}"], 0);
}
