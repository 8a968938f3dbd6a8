// Tables linked by foreign keys replicate exactly, cascades included: InnoDB runs ON DELETE /
// ON UPDATE CASCADE and SET NULL itself and does not log what they change, so the downstream
// must run them too, in binlog order. Three-level chains (CASCADE, then SET NULL), a RESTRICT
// pair and a self-referencing tree, in an all-mode task with writes during the copy, a pause and
// a SIGKILL of the worker while syncing.
#define BOOST_TEST_MODULE foreign_keys
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <random>
#include <regex>
#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

void create_schema(const mariadb_sandbox& upstream) {
  upstream.execute("CREATE DATABASE fk CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  upstream.execute(
      "CREATE TABLE fk.parent (id INT PRIMARY KEY, code VARCHAR(10) NOT NULL, UNIQUE KEY code "
      "(code))");
  upstream.execute(
      "CREATE TABLE fk.child (id INT PRIMARY KEY, parent_id INT NOT NULL, parent_code "
      "VARCHAR(10), note VARCHAR(20), CONSTRAINT child_parent FOREIGN KEY (parent_id) "
      "REFERENCES fk.parent (id) ON DELETE CASCADE ON UPDATE CASCADE, CONSTRAINT child_code "
      "FOREIGN KEY (parent_code) REFERENCES fk.parent (code) ON DELETE SET NULL ON UPDATE "
      "CASCADE)");
  upstream.execute(
      "CREATE TABLE fk.grandchild (id INT PRIMARY KEY, child_id INT, v INT, CONSTRAINT "
      "grandchild_child FOREIGN KEY (child_id) REFERENCES fk.child (id) ON DELETE SET NULL ON "
      "UPDATE CASCADE)");
  upstream.execute("CREATE TABLE fk.owner (id INT PRIMARY KEY, name VARCHAR(20))");
  upstream.execute(
      "CREATE TABLE fk.item (id INT PRIMARY KEY, owner_id INT NOT NULL, CONSTRAINT item_owner "
      "FOREIGN KEY (owner_id) REFERENCES fk.owner (id) ON DELETE RESTRICT)");
  upstream.execute(
      "CREATE TABLE fk.tree (id INT PRIMARY KEY, up INT NULL, label VARCHAR(20), CONSTRAINT "
      "tree_up FOREIGN KEY (up) REFERENCES fk.tree (id) ON DELETE CASCADE)");
}

void populate(const mariadb_sandbox& upstream, int n) {
  upstream.execute("INSERT INTO fk.parent SELECT seq, CONCAT('c', seq) FROM fk.seq_1_to_" +
                   std::to_string(n));
  upstream.execute("INSERT INTO fk.child SELECT seq, 1 + seq % " + std::to_string(n) +
                   ", CONCAT('c', 1 + seq % 7), 'x' FROM fk.seq_1_to_" + std::to_string(3 * n));
  upstream.execute("INSERT INTO fk.grandchild SELECT seq, 1 + seq % " + std::to_string(3 * n) +
                   ", seq FROM fk.seq_1_to_" + std::to_string(6 * n));
  upstream.execute("INSERT INTO fk.owner SELECT seq, 'o' FROM fk.seq_1_to_" + std::to_string(n));
  upstream.execute("INSERT INTO fk.item SELECT seq, 1 + seq % " + std::to_string(n) +
                   " FROM fk.seq_1_to_" + std::to_string(2 * n));
  upstream.execute("INSERT INTO fk.tree VALUES (1, NULL, 'root')");
  upstream.execute("INSERT INTO fk.tree SELECT seq, seq DIV 2, 'node' FROM fk.seq_2_to_" +
                   std::to_string(n));
}

// Random changes that make every kind of cascade happen; a statement the upstream refuses (a
// foreign key or duplicate key violation) simply does not happen.
class writer {
 public:
  writer(const mariadb_sandbox& upstream, uint32_t seed) : upstream_(upstream), rng_(seed) {}

  void run_until(const std::atomic<bool>& stop) {
    auto conn = upstream_.connect();
    while (!stop) {
      auto sql = next();
      if (auto err = conn.execute(sql)) {
        auto what = dm::describe(err);
        // 1451/1452: foreign key, 1062: duplicate key, 1213: deadlock with the dump's lock.
        for (auto* code : {"[1451]", "[1452]", "[1062]", "[1213]"})
          if (what.find(code) != std::string::npos) goto next_statement;
        throw std::runtime_error(sql + ": " + what);
      }
      ++statements;
    next_statement:;
    }
  }

  std::atomic<size_t> statements{0};

 private:
  std::string id(int range) { return std::to_string(1 + rng_() % range); }

  std::string next() {
    switch (rng_() % 12) {
      case 0: return "DELETE FROM fk.parent WHERE id = " + id(300);
      case 1: return "UPDATE fk.parent SET id = id + 1000 WHERE id = " + id(300);
      case 2: return "UPDATE fk.parent SET code = CONCAT(LEFT(code, 8), 'u') WHERE id = " + id(1300);
      case 3: return "INSERT INTO fk.parent VALUES (" + id(300) + ", 'n" + id(100000) + "')";
      case 4:
        return "INSERT INTO fk.child VALUES (" + std::to_string(10000 + next_child_++) + ", " +
               id(300) + ", 'c" + id(7) + "', 'new')";
      case 5: return "DELETE FROM fk.child WHERE id = " + id(1000);
      case 6: return "UPDATE fk.child SET id = id + 20000 WHERE id = " + id(1000);
      case 7:
        return "INSERT INTO fk.grandchild VALUES (" + std::to_string(50000 + next_grand_++) +
               ", " + id(1000) + ", 1)";
      case 8: return "DELETE FROM fk.owner WHERE id = " + id(100);
      case 9: return "DELETE FROM fk.tree WHERE id = " + id(100);
      case 10:
        return "INSERT INTO fk.tree VALUES (" + std::to_string(1000 + next_node_++) + ", " +
               id(100) + ", 'late')";
      default:
        return "UPDATE fk.grandchild SET v = v + 1 WHERE child_id = " + id(1000);
    }
  }

  const mariadb_sandbox& upstream_;
  std::mt19937 rng_;
  int next_child_ = 0, next_grand_ = 0, next_node_ = 0;
};

std::string all_task(const mariadb_sandbox& downstream, int threads = 2, int rows = 200) {
  auto text = task_yaml("fk", {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n"
                        "    loader-config-name: \"l\"\n"
                        "    syncer-config-name: \"s\"\n"
                        "mydumpers:\n  d:\n    threads: " + std::to_string(threads) +
                            "\n    rows: " + std::to_string(rows) +
                            "\nloaders:\n  l:\n    pool-size: " + std::to_string(threads) +
                            "\nsyncers:\n  s:\n    worker-count: 8\n    batch: 20\n");
  return std::regex_replace(text, std::regex{"task-mode: incremental"}, "task-mode: all");
}

}  // namespace

BOOST_AUTO_TEST_CASE(cascades_and_set_null_replicate_exactly_through_copy_and_faults) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_schema(upstream);
  populate(upstream, 300);
  uint32_t seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);

  writer w{upstream, seed};
  std::atomic<bool> stop{false};
  std::string failure;
  std::thread background([&] {
    try {
      w.run_until(stop);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  create_source_and_start_task(worker, "up", upstream, all_task(downstream));
  std::this_thread::sleep_for(std::chrono::seconds{4});
  BOOST_REQUIRE_EQUAL(worker.dmctl({"pause-task", "fk"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds{1});
  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "fk"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds{3});
  worker.kill();
  std::this_thread::sleep_for(std::chrono::seconds{1});
  worker.start();
  std::this_thread::sleep_for(std::chrono::seconds{3});
  stop = true;
  background.join();
  BOOST_REQUIRE_MESSAGE(failure.empty(), failure);
  BOOST_REQUIRE_GT(w.statements.load(), 100u);

  wait_synced(worker, "fk", upstream, std::chrono::seconds{300});
  auto diff = compare_database(upstream, downstream, "fk");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(task_source_status(worker, "fk")["stage"], "Running");
  // The cascades had something to do: grandchildren orphaned by SET NULL, children moved.
  BOOST_CHECK_GT(std::stoul(*downstream.query("SELECT COUNT(*) FROM fk.grandchild WHERE "
                                              "child_id IS NULL")[0][0]),
                 0u);
  BOOST_CHECK_GT(std::stoul(*downstream.query("SELECT COUNT(*) FROM fk.child WHERE parent_id > "
                                              "1000")[0][0]),
                 0u);
  BOOST_TEST_MESSAGE(w.statements.load() << " changes, seed " << seed);
}

// A crash in the middle of the copy: what is left is read at a new snapshot, and the tables of a
// foreign-key group are read again at that one snapshot (their earlier copies replaced), so that
// no cascade falls between two snapshots.
BOOST_AUTO_TEST_CASE(a_copy_resumed_after_a_crash_reads_each_foreign_key_group_at_one_snapshot) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_schema(upstream);
  populate(upstream, 20000);
  uint32_t seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  writer w{upstream, seed};
  std::atomic<bool> stop{false};
  std::string failure;
  std::thread background([&] {
    try {
      w.run_until(stop);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  create_source_and_start_task(worker, "up", upstream, all_task(downstream, 1, 5000));
  // Kill it once part of the copy is loaded.
  nlohmann::json status;
  for (int i = 0; i < 600; ++i) {
    status = task_source_status(worker, "fk");
    auto loaded = status["migration"]["chunks_loaded"].get<int>();
    if (loaded >= 2 && loaded < status["migration"]["chunks_total"].get<int>()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  BOOST_REQUIRE_MESSAGE(status["unit"] == "Dump" || status["unit"] == "Load", status.dump());
  worker.kill();
  std::this_thread::sleep_for(std::chrono::seconds{2});
  worker.start();
  std::this_thread::sleep_for(std::chrono::seconds{3});
  stop = true;
  background.join();
  BOOST_REQUIRE_MESSAGE(failure.empty(), failure);

  wait_synced(worker, "fk", upstream, std::chrono::seconds{300});
  auto diff = compare_database(upstream, downstream, "fk");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_EQUAL(worker.count_log_lines("chunk(s) of foreign-key linked tables again"), 1u);
  BOOST_TEST_MESSAGE(w.statements.load() << " changes, seed " << seed);
}
