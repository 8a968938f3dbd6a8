// Full migration (task-mode all): the dumper and loader copy existing tables (integer, composite
// string and no keys; every column type) while the upstream keeps writing, and the syncer
// continues from the snapshot. The data must end identical, also when the worker is SIGKILLed
// during the dump and during the load, and finished chunks must not be loaded twice.
#define BOOST_TEST_MODULE full
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/typed_workload.hpp"

using namespace dm::test;

namespace {

constexpr int bulk_tables = 4;

// bulk.sbtest1..4 (integer key, `rows` rows each), bulk.named (composite string key, unicode),
// bulk.nokey (no key, duplicate rows), and the every-type tables of a typed workload.
void populate(const mariadb_sandbox& upstream, typed_workload& typed, int rows) {
  upstream.execute("CREATE DATABASE bulk");
  for (int i = 1; i <= bulk_tables; ++i) {
    auto t = "bulk.sbtest" + std::to_string(i);
    upstream.execute("CREATE TABLE " + t +
                     " (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0, "
                     "c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', "
                     "KEY k_1 (k)) ENGINE=InnoDB");
    upstream.execute("INSERT INTO " + t +
                     " (k, c, pad) SELECT seq % 5000, REPEAT(CONCAT(seq, '-'), 10), "
                     "MD5(seq) FROM bulk.seq_1_to_" + std::to_string(rows));
  }
  upstream.execute(
      "CREATE TABLE bulk.named (region VARCHAR(20) NOT NULL, name VARCHAR(60) CHARACTER SET "
      "utf8mb4 NOT NULL, qty INT, note TEXT, PRIMARY KEY (region, name))");
  upstream.execute(
      "INSERT INTO bulk.named SELECT CONCAT('r', seq % 7), CONCAT('名前 ', seq, ' 😀'), seq, "
      "IF(seq % 3 = 0, NULL, 'x''y\\\\z') FROM bulk.seq_1_to_20000");
  upstream.execute("CREATE TABLE bulk.nokey (a INT, b VARCHAR(40), f FLOAT, d DATETIME(3))");
  upstream.execute(
      "INSERT INTO bulk.nokey SELECT seq % 100, CONCAT('b', seq % 50), seq / 7, "
      "'2024-01-01 00:00:00.123' + INTERVAL seq SECOND FROM bulk.seq_1_to_20000");
  auto conn = upstream.connect();
  if (auto err = conn.execute(typed.schema_sql())) throw std::runtime_error("typed schema");
  typed.run(conn, 3000);
}

// Writes to every table until `stop`: updates, inserts and deletes.
void write_until(const mariadb_sandbox& upstream, typed_workload& typed, std::atomic<bool>& stop,
                 std::atomic<size_t>& changes, std::string& error) {
  try {
    auto conn = upstream.connect();
    for (uint64_t round = 0; !stop; ++round) {
      auto t = "bulk.sbtest" + std::to_string(1 + round % bulk_tables);
      auto id = std::to_string(1 + (round * 7919) % 150000);
      for (auto* sql :
           {"UPDATE {t} SET k = k + 1 WHERE id = {id}", "DELETE FROM {t} WHERE id = {id} + 1",
            "INSERT INTO {t} (k, c, pad) VALUES ({id}, 'new', 'row')",
            // The same row may be updated many times while a slow copy runs: b wraps around
            // before it outgrows its VARCHAR(40).
            "UPDATE bulk.nokey SET b = IF(CHAR_LENGTH(b) < 39, CONCAT(b, '+'), 'b') WHERE a = "
            "{id} % 100 LIMIT 1",
            "INSERT INTO bulk.nokey VALUES ({id} % 100, 'dup', 0.5, NOW(3))",
            "UPDATE bulk.named SET qty = qty + 1 WHERE region = CONCAT('r', {id} % 7) LIMIT 3"}) {
        auto text = std::regex_replace(std::regex_replace(std::string{sql}, std::regex{"\\{t\\}"}, t),
                                       std::regex{"\\{id\\}"}, id);
        if (auto err = conn.execute(text)) {
          // FLUSH TABLES WITH READ LOCK can pick this writer as a deadlock victim (a writer
          // would retry); the statement then simply did not happen.
          auto what = dm::describe(err);
          if (what.find("[1213]") != std::string::npos) continue;
          throw std::runtime_error(text + ": " + what);
        }
      }
      typed.run(conn, 5);
      changes += 11;
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
}

std::string all_task_yaml(const mariadb_sandbox& downstream, int threads, int rows, int pool) {
  auto text = task_yaml("full", {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n"
                        "    loader-config-name: \"l\"\n"
                        "mydumpers:\n  d:\n    threads: " + std::to_string(threads) +
                            "\n    rows: " + std::to_string(rows) +
                            "\nloaders:\n  l:\n    pool-size: " + std::to_string(pool) + "\n");
  return std::regex_replace(text, std::regex{"task-mode: incremental"}, "task-mode: all");
}

nlohmann::json subtask(const worker_process& worker) {
  auto j = worker.dmctl_json({"query-status", "full"});
  return j["tasks"].at(0)["sources"].at(0);
}

void compare_all(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
                 const typed_workload& typed) {
  for (auto db : {std::string{"bulk"}, std::string{"typed"}}) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  for (auto& db : typed.kept_databases()) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
}

// Waits until the subtask's unit is `unit`; returns its last status.
nlohmann::json wait_unit(const worker_process& worker, const std::string& unit,
                         std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = worker.dmctl({"--json", "query-status", "full"});
    if (r.exit_code == 0) {
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      if (!j.is_discarded() && !j["tasks"].empty() && !j["tasks"][0]["sources"].empty()) {
        s = j["tasks"][0]["sources"][0];
        if (s["unit"] == unit) return s;
        if (s["stage"] == "Paused") throw std::runtime_error("task paused: " + s.dump());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  throw std::runtime_error("unit " + unit + " not reached; last status " + s.dump());
}

worker_options with_metrics() {
  worker_options o;
  o.metrics = true;
  return o;
}

// An upstream populated with `rows` rows per bulk table, an empty downstream, a worker with the
// upstream as source "up", and a writer thread that changes every table until finish().
struct migration {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  typed_workload typed;
  worker_process worker{with_metrics()};
  std::atomic<bool> stop{false};
  std::atomic<size_t> changes{0};
  std::string writer_error;
  std::thread writer;

  migration(int rows, uint64_t seed) : typed{"typed", seed} {
    populate(upstream, typed, rows);
    auto created = worker.dmctl(
        {"operate-source", "create", worker.write_file("source.yaml", source_yaml("up", upstream))});
    if (created.exit_code != 0) throw std::runtime_error(created.err);
    writer = std::thread{[this] { write_until(upstream, typed, stop, changes, writer_error); }};
  }
  ~migration() { finish(); }

  // Stops the writer; returns what it failed with (empty if nothing).
  std::string finish() {
    stop = true;
    if (writer.joinable()) writer.join();
    return writer_error;
  }

  void start_task(int threads, int rows, int pool) {
    auto started = worker.dmctl(
        {"start-task", worker.write_file("task.yaml", all_task_yaml(downstream, threads, rows, pool))});
    if (started.exit_code != 0) throw std::runtime_error(started.err);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(all_mode_copies_while_the_upstream_writes_and_continues_with_sync) {
  migration m{200000, 7};
  auto& upstream = m.upstream;
  auto& downstream = m.downstream;
  auto& worker = m.worker;
  m.start_task(4, 20000, 4);
  // The text status draws the load's progress while it runs.
  auto text = worker.dmctl({"query-status", "full"});
  BOOST_TEST_MESSAGE(text.out);
  wait_unit(worker, "Sync", std::chrono::seconds{300});
  std::this_thread::sleep_for(std::chrono::seconds{2});
  auto writer_error = m.finish();
  BOOST_REQUIRE_MESSAGE(writer_error.empty(), writer_error);
  BOOST_TEST_MESSAGE(m.changes << " changes written during the migration");
  wait_synced(worker, "full", upstream, std::chrono::seconds{300});
  compare_all(upstream, downstream, m.typed);

  auto progress = subtask(worker)["migration"];
  BOOST_TEST_MESSAGE("migration: " << progress.dump());
  BOOST_CHECK_EQUAL(progress["tables_loaded"], progress["tables_total"]);
  BOOST_CHECK_EQUAL(progress["chunks_loaded"], progress["chunks_total"]);
  BOOST_CHECK_GT(progress["chunks_total"].get<int>(), bulk_tables * 10);
  BOOST_CHECK_GE(progress["rows_loaded"].get<uint64_t>(), uint64_t{bulk_tables * 200000});
  // The dump files are gone once loaded.
  BOOST_CHECK(!std::filesystem::exists(worker.data_dir() + "/dump/full.up"));
  // The metrics endpoint parses and tells the same story.
  auto samples = scrape_metrics(worker);
  const std::string l = "{task=\"full\",source_id=\"up\"}";
  const std::string dm_l =
      "{task=\"full\",source_id=\"up\",worker=\"" + subtask(worker)["worker"].get<std::string>() +
      "\"}";
  BOOST_CHECK_EQUAL(samples["dm_worker_task_state" + dm_l], 2);  // DM's Running
  BOOST_CHECK_EQUAL(samples["dm_loader_progress" + l], 1);
  BOOST_CHECK_EQUAL(samples["dm_load_rows" + l], progress["rows_loaded"].get<double>());
  BOOST_CHECK_EQUAL(samples["dm_load_chunks" + l], progress["chunks_total"].get<double>());
  BOOST_CHECK_EQUAL(samples["dm_dump_chunks" + l], progress["chunks_total"].get<double>());
  BOOST_CHECK_EQUAL(samples["dm_load_queue_chunks" + l], 0);
  BOOST_CHECK_GT(samples["dm_syncer_rows_applied_total" + l], 0);
  BOOST_CHECK_GT(samples["dm_syncer_finished_transaction_total" + dm_l], 0);
  BOOST_CHECK_EQUAL(samples["dm_syncer_binlog_pos{node=\"syncer\",task=\"full\",source_id=\"up\"}"],
                    master_position(upstream).second);
  BOOST_CHECK(samples.count("dm_syncer_replication_lag_gauge" + dm_l));
  BOOST_CHECK(samples.count("dm_syncer_replication_lag_bucket{task=\"full\",source_id=\"up\",worker=\"" +
                            subtask(worker)["worker"].get<std::string>() + "\",le=\"+Inf\"}"));
  BOOST_CHECK_GT(samples["dm_relay_events_written_total{source_id=\"up\"}"], 0);
  // Every series the Grafana dashboard in deploy/ draws exists (error counters appear with the
  // first error).
  std::ifstream dashboard{std::string{std::getenv("DM_SOURCE_DIR")} + "/deploy/grafana-dm-worker.json"};
  BOOST_REQUIRE(dashboard);
  std::string json{std::istreambuf_iterator<char>{dashboard}, {}};
  std::regex metric_name{"dm_[a-z_]+"};
  size_t drawn = 0;
  for (std::sregex_iterator it{json.begin(), json.end(), metric_name}, end; it != end; ++it) {
    auto name = std::regex_replace(it->str(), std::regex{"_bucket$"}, "");
    if (name.find("exit_with_error_count") != std::string::npos) continue;
    ++drawn;
    bool exported = std::any_of(samples.begin(), samples.end(), [&](const auto& s) {
      return s.first.rfind(name + "{", 0) == 0 || s.first.rfind(name + "_bucket{", 0) == 0;
    });
    BOOST_CHECK_MESSAGE(exported, "the dashboard draws " << name << ", which is not exported");
  }
  BOOST_CHECK_GT(drawn, 10u);
  // The secondary indexes were built after the load (compare_all found them all).
  for (int i = 1; i <= bulk_tables; ++i)
    BOOST_CHECK(worker.log().find("adds 1 secondary index(es) to bulk.sbtest" +
                                  std::to_string(i)) != std::string::npos);

  // No stale series: after stop-task nothing of the task is left, after operate-source stop
  // nothing of the source (DM's dashboards count tasks and sources by their series).
  auto labelled = [&](const std::string& label) {
    std::vector<std::string> left;
    for (auto& [series, value] : scrape_metrics(worker))
      if (series.find(label) != std::string::npos) left.push_back(series);
    return left;
  };
  BOOST_REQUIRE_EQUAL(worker.dmctl({"stop-task", "full"}).exit_code, 0);
  auto task_left = labelled("task=\"full\"");
  BOOST_CHECK_MESSAGE(task_left.empty(), "stale after stop-task: " << (task_left.empty() ? "" : task_left.front()));
  BOOST_CHECK(!labelled("source_id=\"up\"").empty());
  BOOST_REQUIRE_EQUAL(worker.dmctl({"operate-source", "stop", "up"}).exit_code, 0);
  auto source_left = labelled("source_id=\"up\"");
  BOOST_CHECK_MESSAGE(source_left.empty(), "stale after operate-source stop: "
                                               << (source_left.empty() ? "" : source_left.front()));
}

BOOST_AUTO_TEST_CASE(sigkills_during_dump_and_load_neither_reload_nor_lose) {
  migration m{100000, 8};
  auto& upstream = m.upstream;
  auto& downstream = m.downstream;
  auto& worker = m.worker;
  m.start_task(2, 4000, 2);

  // Kill once while chunks are still being dumped, once while they are being loaded.
  auto kill_when = [&](const char* phase, auto condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{240};
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = worker.dmctl({"--json", "query-status", "full"});
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      if (r.exit_code == 0 && !j.is_discarded() && !j["tasks"].empty() &&
          !j["tasks"][0]["sources"].empty()) {
        auto m = j["tasks"][0]["sources"][0]["migration"];
        if (condition(m)) {
          worker.kill();
          BOOST_TEST_MESSAGE("killed " << phase << " at " << m.dump());
          worker.start();
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return false;
  };
  bool killed_dump = kill_when("during the dump", [](const nlohmann::json& m) {
    return m["chunks_dumped"].get<int>() >= 3 && m["chunks_dumped"] < m["chunks_total"];
  });
  bool killed_load = kill_when("during the load", [](const nlohmann::json& m) {
    auto total = m["chunks_total"].get<int>();
    auto loaded = m["chunks_loaded"].get<int>();
    return loaded >= total / 2 && loaded < total;
  });
  wait_unit(worker, "Sync", std::chrono::seconds{300});
  std::this_thread::sleep_for(std::chrono::seconds{1});
  auto writer_error = m.finish();
  BOOST_REQUIRE_MESSAGE(writer_error.empty(), writer_error);
  BOOST_CHECK(killed_dump);
  BOOST_CHECK(killed_load);
  wait_synced(worker, "full", upstream, std::chrono::seconds{300});
  compare_all(upstream, downstream, m.typed);

  // Each chunk is loaded once: a restart skips what its records (or the downstream marks) say
  // is loaded.
  std::ifstream log{worker.dir() + "/worker.log"};
  std::map<std::string, int> loads;
  size_t resumed_loads = 0, resumed_dumps = 0;
  std::regex loaded{"loaded chunk (\\S+) \\("};
  for (std::string line; std::getline(log, line);) {
    std::smatch m;
    if (std::regex_search(line, m, loaded)) ++loads[m[1]];
    resumed_loads += line.find("already loaded are not loaded again") != std::string::npos;
    resumed_dumps += line.find("already dumped are not dumped again") != std::string::npos;
  }
  for (auto& [chunk, count] : loads) BOOST_CHECK_MESSAGE(count == 1, chunk << " loaded " << count << " times");
  BOOST_CHECK_GE(resumed_loads, 1u);
  BOOST_CHECK_GE(resumed_dumps, 1u);
  BOOST_TEST_MESSAGE(loads.size() << " chunks loaded once each; " << resumed_loads
                                  << " restart(s) skipped loaded chunks");
}

// A downstream table that already holds rows: on-duplicate decides about the rows whose keys
// are there. A value the downstream would not store exactly (too long for its column) pauses
// the task and keeps nothing of the chunk.
BOOST_AUTO_TEST_CASE(existing_downstream_rows_follow_on_duplicate_and_inexact_values_pause) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  upstream.execute("CREATE DATABASE d");
  upstream.execute("CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20))");
  upstream.execute("INSERT INTO d.t SELECT seq, CONCAT('up-', seq) FROM d.seq_1_to_200");
  worker_process worker;
  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("source.yaml", source_yaml("up", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);

  // "up=N down=M": downstream rows that came from the upstream and that were there before.
  auto rows = [&] {
    auto r = downstream.query("SELECT COUNT(IF(v LIKE 'up-%', 1, NULL)), "
                              "COUNT(IF(v LIKE 'down-%', 1, NULL)) FROM d.t");
    return "up=" + *r[0][0] + " down=" + *r[0][1];
  };
  // Runs a full task with `on_duplicate` into d.t created downstream as `create` holding
  // `existing`; returns the final status of its subtask.
  auto copy = [&](const std::string& on_duplicate, const std::string& create,
                  const std::string& existing) {
    downstream.execute("DROP DATABASE IF EXISTS d");
    downstream.execute("DROP DATABASE IF EXISTS dm_meta");
    downstream.execute("CREATE DATABASE d");
    downstream.execute(create);
    if (!existing.empty()) downstream.execute("INSERT INTO d.t VALUES " + existing);
    auto name = "dup_" + on_duplicate;
    auto yaml = task_yaml(name, {"up"}, downstream,
                          "    loader-config-name: \"l\"\nloaders:\n  l:\n    on-duplicate: " +
                              on_duplicate + "\n");
    yaml = std::regex_replace(yaml, std::regex{"task-mode: incremental"}, "task-mode: full");
    auto started = worker.dmctl({"start-task", worker.write_file(name + ".yaml", yaml)});
    BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);
    nlohmann::json s;
    for (int i = 0; i < 300; ++i) {
      s = worker.dmctl_json({"query-status", name})["tasks"].at(0)["sources"].at(0);
      if (s["stage"] == "Finished" || s["stage"] == "Paused") break;
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    worker.dmctl({"stop-task", name});
    return s;
  };
  const std::string same = "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20))";
  // 102 rows with upstream keys (more than a session lists warnings by default), 1 without.
  std::string existing = "(2, 'down-2'), (9, 'down-9'), (1000, 'down-1000')";
  for (int id = 101; id <= 200; ++id)
    existing += ", (" + std::to_string(id) + ", 'down-" + std::to_string(id) + "')";

  auto replaced = copy("replace", same, existing);
  BOOST_CHECK_EQUAL(replaced["stage"], "Finished");
  BOOST_CHECK_EQUAL(rows(), "up=200 down=1");

  auto ignored = copy("ignore", same, existing);
  BOOST_CHECK_EQUAL(ignored["stage"], "Finished");
  BOOST_CHECK_EQUAL(rows(), "up=98 down=103");

  auto refused = copy("error", same, existing);
  BOOST_CHECK_EQUAL(refused["stage"], "Paused");
  BOOST_CHECK_MESSAGE(refused["last_error"].get<std::string>().find(
                          "already holds rows with the same keys") != std::string::npos,
                      refused.dump());
  BOOST_CHECK_EQUAL(rows(), "up=0 down=103");
  // stop-task removed the paused task's dump files with it.
  BOOST_CHECK(!std::filesystem::exists(worker.data_dir() + "/dump/dup_error.up"));

  auto narrow = copy("replace", "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(3))", "");
  BOOST_CHECK_EQUAL(narrow["stage"], "Paused");
  BOOST_CHECK_MESSAGE(narrow["last_error"].get<std::string>().find("the downstream warns") !=
                          std::string::npos,
                      narrow.dump());
  BOOST_CHECK_EQUAL(rows(), "up=0 down=0");
}

// A finished full migration that the operator paused comes back Finished after a worker
// restart, not as a paused task in the Sync unit.
BOOST_AUTO_TEST_CASE(a_paused_task_comes_back_in_the_unit_it_would_go_on_with) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  upstream.execute("CREATE DATABASE d");
  upstream.execute("CREATE TABLE d.t (id INT PRIMARY KEY)");
  upstream.execute("INSERT INTO d.t SELECT seq FROM d.seq_1_to_50");
  worker_process worker;
  auto yaml = std::regex_replace(task_yaml("full", {"up"}, downstream),
                                 std::regex{"task-mode: incremental"}, "task-mode: full");
  create_source_and_start_task(worker, "up", upstream, yaml);
  nlohmann::json s;
  for (int i = 0; i < 300 && s["stage"] != "Finished"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    s = subtask(worker);
  }
  BOOST_REQUIRE_EQUAL(s["stage"], "Finished");
  BOOST_REQUIRE_EQUAL(worker.dmctl({"pause-task", "full"}).exit_code, 0);
  worker.kill();
  worker.start();
  s = subtask(worker);
  BOOST_CHECK_EQUAL(s["stage"], "Finished");
  BOOST_CHECK_EQUAL(s["unit"], "Finished");
  BOOST_CHECK_EQUAL(row_count(downstream, "d.t"), 50u);
}
