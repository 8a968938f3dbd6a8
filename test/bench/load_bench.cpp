// Full migration throughput: dm-worker's dump + load (task-mode full) versus mydumper +
// myloader, with the same thread counts, on the same sysbench tables, in the same run.
//
// The upstream holds sysbench tables (--tables x --table-size rows). Each run copies them into
// an empty downstream twice, alternating which tool goes first: dm-worker from start-task until
// query-status says Finished, and mydumper (to a directory) followed by myloader. Both
// downstream copies must have the upstream's checksums. The downstream logs no binlog (myloader
// skips it by default too). Before each copy both servers write back their dirty pages.
//
//   load_bench [--tables 4] [--table-size 500000] [--threads 4] [--runs 3] [--rows 50000]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>

#include "test/bench/bench_util.hpp"
#include "test/support/harness.hpp"
#include "test/support/sysbench.hpp"

using namespace dm::test;
using dm::bench::median;
using dm::bench::sbtest_checksums;

namespace {

using clock_type = std::chrono::steady_clock;

struct settings {
  int tables = 4;
  int table_size = 500000;
  int threads = 4;
  int runs = 3;
  int rows = 50000;
};

// Lets InnoDB write back its dirty pages (of the preparation or of the previous copy), so
// that no copy pays for the one before it; gives up after a minute.
void quiesce(const mariadb_sandbox& server) {
  auto dirty_limit = *server.query("SELECT @@innodb_max_dirty_pages_pct")[0][0];
  server.execute("SET GLOBAL innodb_max_dirty_pages_pct = 0");
  auto deadline = clock_type::now() + std::chrono::seconds{60};
  while (clock_type::now() < deadline &&
         std::stoll(*server.query("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                  "WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'")[0][0]) >
             100)
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  server.execute("SET GLOBAL innodb_max_dirty_pages_pct = " + dirty_limit);
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double dm_copy(const settings& s, worker_process& worker, const mariadb_sandbox& downstream,
               int run) {
  auto name = "copy" + std::to_string(run);
  auto yaml = task_yaml(name, {"up"}, downstream,
                        "    mydumper-config-name: \"d\"\n    loader-config-name: \"l\"\n"
                        "mydumpers:\n  d:\n    threads: " + std::to_string(s.threads) +
                            "\n    rows: " + std::to_string(s.rows) +
                            "\nloaders:\n  l:\n    pool-size: " + std::to_string(s.threads) + "\n");
  yaml.replace(yaml.find("task-mode: incremental"), 22, "task-mode: full");
  auto file = worker.write_file(name + ".yaml", yaml);
  auto start = clock_type::now();
  auto started = worker.dmctl({"start-task", file});
  if (started.exit_code != 0) throw std::runtime_error(started.err);
  for (;;) {
    auto j = worker.dmctl_json({"query-status", name});
    auto stage = j["tasks"].at(0)["stage"].get<std::string>();
    if (stage == "Finished") break;
    if (stage == "Paused") throw std::runtime_error("dm-worker task paused: " + j.dump());
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  double elapsed = seconds_since(start);
  worker.dmctl({"stop-task", name});
  return elapsed;
}

double my_copy(const settings& s, const mariadb_sandbox& upstream,
               const mariadb_sandbox& downstream, const std::string& dir, double& dump_seconds) {
  std::filesystem::remove_all(dir);
  auto threads = std::to_string(s.threads);
  auto start = clock_type::now();
  auto dumped = run_command({"mydumper", "-h", "127.0.0.1", "-P", std::to_string(upstream.port()),
                             "-u", "root", "-B", "sbtest", "-t", threads, "-r",
                             std::to_string(s.rows), "-o", dir});
  if (dumped.exit_code != 0) throw std::runtime_error("mydumper failed: " + dumped.err);
  dump_seconds = seconds_since(start);
  auto loaded = run_command({"myloader", "-h", "127.0.0.1", "-P",
                             std::to_string(downstream.port()), "-u", "root", "-B", "sbtest", "-t",
                             threads, "-d", dir});
  if (loaded.exit_code != 0) throw std::runtime_error("myloader failed: " + loaded.err);
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"load_bench: dm-worker's dump + load versus mydumper + myloader"};
  settings s;
  app.add_option("--tables", s.tables, "sysbench tables");
  app.add_option("--table-size", s.table_size, "rows per table");
  app.add_option("--threads", s.threads, "dump threads and load connections of both tools");
  app.add_option("--runs", s.runs, "copies by each tool");
  app.add_option("--rows", s.rows, "rows per chunk of both tools");
  CLI11_PARSE(app, argc, argv);

  try {
    const std::vector<std::string> innodb = {"--innodb-buffer-pool-size=1G"};
    auto up_options = sandbox_options::with_server_id(1);
    up_options.extra_args = innodb;
    mariadb_sandbox upstream{up_options};
    auto down_options = sandbox_options::with_server_id(2);
    down_options.log_bin = false;
    down_options.extra_args = innodb;
    mariadb_sandbox downstream{down_options};

    upstream.execute("CREATE DATABASE sbtest");
    std::fprintf(stderr, "preparing %d x %d rows...\n", s.tables, s.table_size);
    sysbench_options prepare;
    prepare.tables = s.tables;
    prepare.table_size = s.table_size;
    auto prepared = run_sysbench(upstream, "prepare", prepare);
    if (prepared.exit_code != 0) throw std::runtime_error("sysbench prepare: " + prepared.err);
    // The source starts its relay at the upstream's current position: the copies are timed
    // without a relay still reading the binlog of the preparation.
    worker_process worker;
    auto created = worker.dmctl(
        {"operate-source", "create", worker.write_file("up.yaml", source_yaml("up", upstream))});
    if (created.exit_code != 0) throw std::runtime_error(created.err);
    auto expected = sbtest_checksums(upstream, s.tables);
    double rows = static_cast<double>(s.tables) * s.table_size;

    std::vector<double> ours, theirs, theirs_dump;
    auto dump_dir = worker.dir() + "/mydumper";
    for (int run = 1; run <= s.runs; ++run) {
      for (int turn = 0; turn < 2; ++turn) {
        downstream.execute("DROP DATABASE IF EXISTS sbtest");
        downstream.execute("DROP DATABASE IF EXISTS dm_meta");
        quiesce(upstream);
        quiesce(downstream);
        bool dm_turn = (run + turn) % 2 == 1;
        double dump_seconds = 0;
        double t = dm_turn ? dm_copy(s, worker, downstream, run)
                           : my_copy(s, upstream, downstream, dump_dir, dump_seconds);
        if (sbtest_checksums(downstream, s.tables) != expected)
          throw std::runtime_error(std::string{dm_turn ? "dm-worker" : "mydumper/myloader"} +
                                   " left a copy that differs from the upstream");
        (dm_turn ? ours : theirs).push_back(t);
        if (!dm_turn) theirs_dump.push_back(dump_seconds);
        std::fprintf(stderr, "run %d: %s %.2f s (%.0f rows/s); copy identical\n", run,
                     dm_turn ? "dm-worker" : "mydumper+myloader", t, rows / t);
      }
    }
    double a = median(ours), b = median(theirs);
    std::printf("load benchmark: sysbench %d tables x %d rows, %d threads, chunks of %d rows, "
                "median of %d runs\n",
                s.tables, s.table_size, s.threads, s.rows, s.runs);
    std::printf("%-44s %10s %12s\n", "tool", "seconds", "rows/s");
    std::printf("%-44s %10.2f %12.0f\n", "dm-worker dump + load (pipelined)", a, rows / a);
    std::printf("%-44s %10.2f %12.0f\n", "mydumper + myloader", b, rows / b);
    std::printf("%-44s %10.2f\n", "  of which mydumper", median(theirs_dump));
    std::printf("ratio (mydumper+myloader time / dm-worker time): %.2fx\n", b / a);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load_bench: %s\n", e.what());
    return 1;
  }
}
