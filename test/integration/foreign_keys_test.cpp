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

namespace {

// A generated table with foreign keys whose indexes are implicit or explicit in every way that
// SHOW CREATE TABLE prints alike, and the statements that later make the upstream drop its
// implicit ones (an index over each key's columns and more) or drop a key.
struct fk_index_table {
  std::string create;
  std::vector<std::string> later;
};

fk_index_table generate_fk_index_table(std::mt19937& rng, int number) {
  auto name = "c" + std::to_string(number);
  std::vector<std::string> keys{"KEY note (note)"};
  std::vector<std::string> foreign_keys, later;
  auto fk_count = 1 + rng() % 3;
  // Unnamed keys of one table are either all implicit or all explicit: the server numbers
  // unnamed constraints in the order written, and a copy can keep that order only so.
  bool unnamed_implicit = rng() % 2 == 0;
  for (size_t j = 0; j < fk_count; ++j) {
    auto first = "x" + std::to_string(2 * j), second = "x" + std::to_string(2 * j + 1);
    bool pair = rng() % 2 == 0;
    auto columns = pair ? first + ", " + second : first;
    auto parent = "fkx.p" + std::to_string(rng() % 3);
    auto references = pair ? parent + " (a, b)" : parent + " (id)";
    auto naming = rng() % 3;  // 0 CONSTRAINT name, 1 none, 2 an index name only
    auto constraint = name + "_f" + std::to_string(j);
    std::string clause = naming == 0 ? "CONSTRAINT " + constraint + " FOREIGN KEY (" + columns + ")"
                         : naming == 1 ? "FOREIGN KEY (" + columns + ")"
                                       : "FOREIGN KEY " + constraint + " (" + columns + ")";
    clause += " REFERENCES " + references + (rng() % 2 ? " ON DELETE CASCADE" : "");
    // 0 none (implicit), 1 named like the constraint, 2 another name, 3 a wider one
    auto index = naming == 1 ? (unnamed_implicit ? 0 : 2 + rng() % 2) : rng() % 4;
    if (index == 1) keys.push_back("KEY " + constraint + " (" + columns + ")");
    if (index == 2) keys.push_back("KEY k" + std::to_string(j) + " (" + columns + ")");
    if (index == 3) keys.push_back("KEY w" + std::to_string(j) + " (" + columns + ", id)");
    // Written among the keys or after them: an implicit index takes its key's place.
    (rng() % 2 ? keys : foreign_keys).push_back(clause);
    later.push_back("ALTER TABLE fkx." + name + " ADD KEY cover" + std::to_string(j) + " (" +
                    columns + ", note)");
  }
  if (rng() % 2) keys.push_back("KEY id_note (id, note)");
  std::string create = "CREATE TABLE fkx." + name +
                       " (id INT PRIMARY KEY, x0 INT, x1 INT, x2 INT, x3 INT, x4 INT, x5 INT, "
                       "note VARCHAR(10)";
  for (auto& k : keys) create += ", " + k;
  for (auto& f : foreign_keys) create += ", " + f;
  create += ")";
  std::shuffle(later.begin(), later.end(), rng);
  return {create, later};
}

}  // namespace

// MariaDB gives a foreign key without an index one of its own, and drops it when a later index
// can back the key; SHOW CREATE TABLE prints it as an ordinary key. A copy must keep it implicit
// (a copy that made it explicit kept it downstream after such an ADD INDEX: an index the
// upstream does not have). Generated tables cover named, unnamed and index-named constraints
// over one or two columns, with no index, one named like the constraint, one named otherwise or
// a wider one, written before or after other keys; after the copy the upstream adds an index over
// each key's columns, and some keys are dropped.
BOOST_AUTO_TEST_CASE(indexes_made_for_foreign_keys_stay_as_the_upstream_has_them_after_a_copy) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  uint32_t seed = std::random_device{}();
  if (auto* fixed = std::getenv("DM_RANDOM_SEED")) seed = std::stoul(fixed);
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng{seed};
  upstream.execute("CREATE DATABASE fkx");
  for (int p = 0; p < 3; ++p) {
    auto parent = "fkx.p" + std::to_string(p);
    upstream.execute("CREATE TABLE " + parent +
                     " (id INT PRIMARY KEY, a INT, b INT, UNIQUE KEY ab (a, b))");
    upstream.execute("INSERT INTO " + parent + " SELECT seq, seq, seq FROM fkx.seq_1_to_20");
  }
  std::vector<std::string> later;
  const int tables = 16;
  for (int i = 0; i < tables; ++i) {
    auto table = generate_fk_index_table(rng, i);
    BOOST_TEST_MESSAGE(table.create);
    upstream.execute(table.create);
    upstream.execute("INSERT INTO fkx.c" + std::to_string(i) +
                     " SELECT seq, 1 + seq % 20, 1 + seq % 20, 1 + seq % 20, 1 + seq % 20, "
                     "1 + seq % 20, 1 + seq % 20, 'n' FROM fkx.seq_1_to_50");
    later.insert(later.end(), table.later.begin(), table.later.end());
  }
  create_source_and_start_task(worker, "up", upstream, all_task(downstream));
  wait_synced(worker, "fk", upstream, std::chrono::seconds{120});
  auto copied = compare_database(upstream, downstream, "fkx");
  BOOST_REQUIRE_MESSAGE(copied.empty(), copied);

  auto index_count = [&] {
    return std::stoul(*upstream.query("SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM "
                                      "information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                                      "'fkx'")[0][0]);
  };
  auto indexes_before = index_count();
  std::shuffle(later.begin(), later.end(), rng);
  for (auto& statement : later) upstream.execute(statement);
  // Some of the new indexes replaced an implicit one upstream.
  BOOST_CHECK_LT(index_count(), indexes_before + later.size());
  // Dropping a foreign key leaves its index behind on both sides.
  for (auto& r : upstream.query("SELECT TABLE_NAME, CONSTRAINT_NAME FROM "
                                "information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                                "CONSTRAINT_SCHEMA = 'fkx' ORDER BY 1, 2"))
    if (rng() % 4 == 0)
      upstream.execute("ALTER TABLE fkx." + *r[0] + " DROP FOREIGN KEY " + *r[1]);
  upstream.execute("INSERT INTO fkx.c0 (id, note) VALUES (1000, 'last')");
  wait_synced(worker, "fk", upstream, std::chrono::seconds{120});
  auto diff = compare_database(upstream, downstream, "fkx");
  BOOST_CHECK_MESSAGE(diff.empty(), diff + " (seed " + std::to_string(seed) + ")");
  BOOST_CHECK_EQUAL(task_source_status(worker, "fk")["stage"], "Running");
  // The upstream told which keys are implicit, and the downstream made each of them so.
  BOOST_CHECK_EQUAL(worker.count_log_lines("cannot tell whether the upstream made"), 0u);
  BOOST_CHECK_EQUAL(worker.count_log_lines("made for its foreign keys"), 0u);
}
