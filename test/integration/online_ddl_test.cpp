// Online schema changes with online-ddl: true. The real pt-online-schema-change alters a table
// three times (ADD COLUMN, ADD INDEX, MODIFY COLUMN) under a sysbench load on that very table,
// while one worker feeds two downstreams: an incremental task that followed the table from its
// creation, and an all-mode task that copied it. gh-ost, which is not packaged, is played by
// its documented statement sequence (changelog table, ghost table, ALTER, chunked copy,
// binlog-applied changes, atomic cut-over), with the worker SIGKILLed between the ghost's ALTER
// and the swap; an aborted migration comes first. Throughout, a watcher asks each downstream
// for shadow and trash tables; none may ever appear. The syncers write far fewer rows than one
// more copy of the table would take; a fourth migration runs with the worker SIGKILLed in the
// middle. At the end every table is identical (data, SHOW CREATE, indexes).
#define BOOST_TEST_MODULE online_ddl
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/sysbench.hpp"

using namespace dm::test;
using namespace std::chrono_literals;

namespace {

constexpr int table_size = 20000;

void require_ok(const command_result& r, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, what << ": " << r.err << r.out);
}

// Asks downstreams every 20 ms for tables named like an online schema change's helpers.
class helper_table_watcher {
 public:
  explicit helper_table_watcher(std::vector<const mariadb_sandbox*> downstreams)
      : downstreams_{std::move(downstreams)}, thread_{[this] { run(); }} {}
  ~helper_table_watcher() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::set<std::string> seen() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return seen_;
  }
  size_t polls() const { return polls_; }

 private:
  void run() {
    std::vector<std::optional<dm::mysql_connection>> conns(downstreams_.size());
    while (!stop_) {
      for (size_t i = 0; i < downstreams_.size(); ++i) {
        try {
          if (!conns[i]) conns[i].emplace(downstreams_[i]->connect());
          auto rows = conns[i]->query(
              "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES "
              "WHERE TABLE_NAME REGEXP '^_.+_(new|old|gho|ghc|del)$'");
          if (!rows) {
            conns[i].reset();
            continue;
          }
          std::lock_guard<std::mutex> lock{mutex_};
          for (auto& r : *rows) seen_.insert(r[0].value_or("?"));
        } catch (const std::exception&) {
          conns[i].reset();
        }
      }
      ++polls_;
      std::this_thread::sleep_for(20ms);
    }
  }

  std::vector<const mariadb_sandbox*> downstreams_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> polls_{0};
  mutable std::mutex mutex_;
  std::set<std::string> seen_;
  std::thread thread_;
};

// sysbench oltp_write_only on sbtest.sbtest1 in short runs until stopped (a run that fails on a
// lock pt-online-schema-change holds is started again).
class sysbench_load {
 public:
  explicit sysbench_load(const mariadb_sandbox& upstream) : thread_{[this, &upstream] {
    sysbench_options o;
    o.tables = 1;
    o.table_size = table_size;
    o.threads = 2;
    o.rate = 40;
    o.seconds = 3;
    while (!stop_) {
      ++o.seed;
      run_sysbench(upstream, "run", o);
    }
  }} {}
  ~sysbench_load() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double rows_applied(const worker_process& worker, const std::string& task) {
  return scrape_metrics(worker)["dm_syncer_rows_applied_total{task=\"" + task +
                                "\",source_id=\"up\"}"];
}

// Rows the server inserted into any table (MariaDB 10.11 has no Innodb_rows_inserted).
uint64_t rows_inserted(const mariadb_sandbox& server) {
  auto rows = server.query("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                           "VARIABLE_NAME = 'HANDLER_WRITE'");
  return std::stoull(rows.at(0).at(0).value_or("0"));
}

std::string online_task(const std::string& name, const std::string& mode,
                        const mariadb_sandbox& downstream) {
  auto text = task_yaml(name, {"up"}, downstream, "online-ddl: true\n");
  return text.replace(text.find("task-mode: incremental"), 22, "task-mode: " + mode);
}

}  // namespace

BOOST_AUTO_TEST_CASE(pt_online_schema_change_under_load_reaches_each_downstream_as_one_alter) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox incremental_down{sandbox_options::with_server_id(2)};
  mariadb_sandbox all_down{sandbox_options::with_server_id(3)};
  worker_options options;
  options.metrics = true;
  worker_process worker{options};

  // The incremental task follows sbtest from its creation; the all-mode task copies it later.
  create_source_and_start_task(worker, "up", upstream,
                               online_task("inc", "incremental", incremental_down));
  upstream.execute("CREATE DATABASE sbtest");
  sysbench_options prepare;
  prepare.tables = 1;
  prepare.table_size = table_size;
  require_ok(run_sysbench(upstream, "prepare", prepare), "sysbench prepare");
  helper_table_watcher watcher{{&incremental_down, &all_down}};
  sysbench_load load{upstream};
  require_ok(worker.dmctl({"start-task", worker.write_file("all.yaml",
                                                           online_task("copy", "all", all_down))}),
             "start-task copy");
  for (int i = 0; i < 600 && task_source_status(worker, "copy")["unit"] != "Sync"; ++i)
    std::this_thread::sleep_for(100ms);
  BOOST_REQUIRE_EQUAL(task_source_status(worker, "copy")["unit"], "Sync");

  const double inc_before = rows_applied(worker, "inc"), all_before = rows_applied(worker, "copy");
  const uint64_t upstream_inserts_before = rows_inserted(upstream);
  auto online_alter = [&](const std::string& alter) {
    auto r = run_command({"pt-online-schema-change", "--alter", alter, "--execute",
                          "--recursion-method=none", "--chunk-size=2000", "--tries",
                          "create_triggers:30:0.5,drop_triggers:30:0.5,copy_rows:30:0.5,"
                          "swap_tables:30:0.5,update_foreign_keys:30:0.5,analyze_table:30:0.5",
                          "h=" + upstream.host() + ",P=" + std::to_string(upstream.port()) +
                              ",u=root,D=sbtest,t=sbtest1"});
    std::cout << "online_ddl: pt-online-schema-change --alter \"" << alter << "\" exited "
              << r.exit_code << std::endl;
    return r;
  };
  for (const char* alter : {"ADD COLUMN note VARCHAR(32) NOT NULL DEFAULT 'none'",
                            "ADD INDEX (k, id)",
                            "MODIFY COLUMN pad VARCHAR(90) NOT NULL DEFAULT ''"}) {
    auto r = online_alter(alter);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "pt-online-schema-change " << alter << ": " << r.err
                                                                         << r.out);
  }
  load.stop();
  wait_synced(worker, "inc", upstream);
  wait_synced(worker, "copy", upstream);

  auto copied = rows_inserted(upstream) - upstream_inserts_before;
  auto inc_rows = rows_applied(worker, "inc") - inc_before;
  auto all_rows = rows_applied(worker, "copy") - all_before;
  std::cout << "online_ddl: upstream inserted " << copied << " rows (three copies of "
            << table_size << " and the load); the syncers wrote " << inc_rows << " (inc) and "
            << all_rows << " (copy) rows in the same time; " << watcher.polls()
            << " looks for helper tables downstream" << std::endl;
  BOOST_CHECK_GE(copied, uint64_t{3 * table_size});
  // Another copy of the table would be table_size rows by itself.
  BOOST_CHECK_LT(inc_rows, table_size / 2);
  BOOST_CHECK_LT(all_rows, table_size / 2);
  BOOST_CHECK_GT(inc_rows, 0);
  BOOST_CHECK_EQUAL(worker.count_log_lines("applied an online schema change at its swap"), 6u);

  // A fourth migration, with the worker SIGKILLed while it runs and started again.
  {
    sysbench_load more_load{upstream};
    auto killer = std::thread{[&] {
      std::this_thread::sleep_for(400ms);
      worker.kill();
      std::this_thread::sleep_for(1s);
      worker.start();
    }};
    auto r = online_alter("ADD COLUMN extra INT NULL, ADD INDEX (extra)");
    killer.join();
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "pt-online-schema-change: " << r.err << r.out);
  }
  wait_synced(worker, "inc", upstream);
  wait_synced(worker, "copy", upstream);
  watcher.stop();
  BOOST_CHECK_MESSAGE(watcher.seen().empty(),
                      "helper tables appeared downstream: " << *watcher.seen().begin());
  for (auto* down : {&incremental_down, &all_down}) {
    auto diff = compare_database(upstream, *down, "sbtest");
    BOOST_CHECK_MESSAGE(diff.empty(), diff);
  }
}

BOOST_AUTO_TEST_CASE(gh_ost_cut_over_after_a_worker_crash_applies_its_alter_exactly_once) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_source_and_start_task(worker, "up", upstream, online_task("gh", "incremental",
                                                                   downstream));
  upstream.execute("CREATE DATABASE app");
  upstream.execute("CREATE TABLE app.users (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
                   "score INT NOT NULL)");
  std::string values;
  for (int i = 1; i <= 3000; ++i)
    values += (i > 1 ? "," : "") + std::string{"("} + std::to_string(i) + ", 'user" +
              std::to_string(i) + "', " + std::to_string(i % 97) + ")";
  upstream.execute("INSERT INTO app.users VALUES " + values);
  helper_table_watcher watcher{{&downstream}};

  // An aborted migration: the shadow is dropped without a swap; nothing changes downstream.
  upstream.execute("CREATE TABLE app._users_new LIKE app.users");
  upstream.execute("ALTER TABLE app._users_new ADD COLUMN abandoned INT");
  upstream.execute("INSERT INTO app._users_new (id, name, score) SELECT id, name, score FROM "
                   "app.users WHERE id <= 100");
  upstream.execute("DROP TABLE app._users_new");

  // gh-ost: changelog and ghost tables, the ALTER on the ghost.
  upstream.execute("CREATE TABLE app._users_ghc (id BIGINT AUTO_INCREMENT, last_update "
                   "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, "
                   "hint VARCHAR(64) NOT NULL, value VARCHAR(4096) NOT NULL, PRIMARY KEY (id), "
                   "UNIQUE KEY hint_uidx (hint))");
  upstream.execute("INSERT INTO app._users_ghc (hint, value) VALUES ('state', "
                   "'GhostTableMigrated') ON DUPLICATE KEY UPDATE value = VALUES(value)");
  upstream.execute("CREATE /* gh-ost */ TABLE app._users_gho LIKE app.users");
  // Unnamed, so that applying it twice would leave two indexes.
  upstream.execute("ALTER /* gh-ost */ TABLE app._users_gho ADD COLUMN level INT NOT NULL "
                   "DEFAULT 1, ADD INDEX (score)");
  // The worker dies as soon as it has recorded the ALTER (its checkpoint may or may not be
  // past it: the restart either finds the record or reads the ALTER again).
  for (int i = 0; i < 1000 && worker.count_log_lines("(shadow table _users_gho)") <
                                  2; ++i)
    std::this_thread::sleep_for(10ms);
  BOOST_REQUIRE_EQUAL(worker.count_log_lines("(shadow table _users_gho)"), 2u);
  worker.kill();
  // Row copy in chunks, while the application writes and gh-ost applies those writes to the
  // ghost from the binlog.
  for (int from = 1; from <= 3000; from += 500) {
    upstream.execute("INSERT /* gh-ost */ IGNORE INTO app._users_gho (id, name, score) SELECT "
                     "id, name, score FROM app.users FORCE INDEX (PRIMARY) WHERE id BETWEEN " +
                     std::to_string(from) + " AND " + std::to_string(from + 499) +
                     " LOCK IN SHARE MODE");
    auto id = std::to_string(from + 7);
    upstream.execute("UPDATE app.users SET score = score + 1000 WHERE id = " + id);
    upstream.execute("REPLACE /* gh-ost */ INTO app._users_gho (id, name, score) SELECT id, "
                     "name, score FROM app.users WHERE id = " + id);
    upstream.execute("INSERT INTO app._users_ghc (hint, value) VALUES ('heartbeat', NOW(6)) ON "
                     "DUPLICATE KEY UPDATE value = VALUES(value)");
    if (from == 1001) worker.start();
  }
  // While the migration runs, a task that would copy app fails its precheck, naming the
  // migration; one that only syncs is warned.
  auto copy_check = worker.dmctl(
      {"check-task", worker.write_file("copy.yaml", online_task("copy", "all", downstream))});
  BOOST_CHECK_NE(copy_check.exit_code, 0);
  BOOST_CHECK_MESSAGE(copy_check.out.find("FAIL online_ddl (source up)") != std::string::npos &&
                          copy_check.out.find("`app`.`_users_gho` (of `app`.`users`)") !=
                              std::string::npos,
                      copy_check.out << copy_check.err);
  auto sync_check = worker.dmctl(
      {"check-task", worker.write_file("sync.yaml", online_task("sync", "incremental",
                                                                downstream))});
  BOOST_CHECK_EQUAL(sync_check.exit_code, 0);
  BOOST_CHECK_MESSAGE(sync_check.out.find("warn online_ddl (source up)") != std::string::npos,
                      sync_check.out << sync_check.err);
  upstream.execute("DELETE FROM app.users WHERE id = 42");
  upstream.execute("DELETE /* gh-ost */ FROM app._users_gho WHERE id = 42");
  // Atomic cut-over: the sentry table, then the two-way rename, then the cleanup.
  upstream.execute("CREATE /* gh-ost */ TABLE app._users_del (id INT AUTO_INCREMENT PRIMARY "
                   "KEY) COMMENT='ghost-cut-over-sentry'");
  upstream.execute("DROP /* gh-ost */ TABLE IF EXISTS app._users_del");
  upstream.execute("RENAME /* gh-ost */ TABLE app.users TO app._users_del, app._users_gho TO "
                   "app.users");
  upstream.execute("DROP /* gh-ost */ TABLE IF EXISTS app._users_ghc");
  upstream.execute("DROP /* gh-ost */ TABLE IF EXISTS app._users_del");
  upstream.execute("INSERT INTO app.users (id, name, score, level) VALUES (5000, 'after', 1, 7)");

  wait_synced(worker, "gh", upstream);
  watcher.stop();
  auto diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_CHECK_MESSAGE(watcher.seen().empty(),
                      "helper tables appeared downstream: " << *watcher.seen().begin());
  auto indexes = downstream.query("SELECT COUNT(DISTINCT INDEX_NAME) FROM "
                                  "information_schema.STATISTICS WHERE TABLE_SCHEMA = 'app' AND "
                                  "TABLE_NAME = 'users'");
  BOOST_CHECK_EQUAL(indexes.at(0).at(0).value_or(""), "2");  // PRIMARY and score, once
  BOOST_CHECK_EQUAL(row_count(downstream, "app.users"), 3000u);
}
