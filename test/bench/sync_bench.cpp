// Apply throughput: dm-worker's syncer versus a MariaDB replica with optimistic parallel
// replication, on the same binlog, in the same run.
//
// An upstream holds sysbench tables (--tables x --table-size rows); both downstreams get a copy
// of them by replication (dm-worker and the replica each apply the prepare; not timed). Then
// each run writes a backlog with `sysbench oltp_write_only` for --seconds at full speed while
// neither applies it (the relay and the replica's I/O thread do fetch it), and times each
// applying that backlog alone: the replica from START SLAVE SQL_THREAD until MASTER_POS_WAIT
// returns, dm-worker from start-task (meta: the backlog's first position) until its checkpoint
// reaches the backlog's end (read on the metrics endpoint). The downstreams are configured
// identically (no binlog, same InnoDB settings); the order alternates between runs. After each
// run all three servers' tables must have equal checksums.
//
//   sync_bench [--tables 4] [--table-size 500000] [--seconds 60] [--threads 8] [--runs 3]
//              [--replica-threads 4] [--series FILE]
//
// --series appends each run's MB of backlog applied over time, and MB of backlog left over time
// (series names ending in " backlog"), see bench_util.hpp's series_log.
#include <chrono>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>
#include <httplib.h>

#include "common/position.hpp"
#include "test/bench/bench_util.hpp"
#include "test/support/harness.hpp"
#include "test/support/sysbench.hpp"

using namespace dm::test;
using dm::bench::median;
using dm::bench::sbtest_checksums;
using dm::bench::sample;

namespace {

using clock_type = std::chrono::steady_clock;
using position = std::pair<std::string, uint32_t>;

struct settings {
  int tables = 4;
  int table_size = 500000;
  int seconds = 60;
  int threads = 8;
  int runs = 3;
  int replica_threads = 4;
};

void sysbench(const settings& s, const mariadb_sandbox& upstream, const std::string& command,
              int seed) {
  sysbench_options o;
  o.tables = s.tables;
  o.table_size = s.table_size;
  o.threads = s.threads;
  o.seconds = s.seconds;
  o.seed = seed;
  auto r = run_sysbench(upstream, command, o);
  if (r.exit_code != 0) throw std::runtime_error("sysbench " + command + " failed: " + r.err);
}

class metrics_reader {
 public:
  explicit metrics_reader(const std::string& addr)
      : http_{addr.substr(0, addr.rfind(':')), std::stoi(addr.substr(addr.rfind(':') + 1))} {
    http_.set_keep_alive(true);
  }
  std::string text() {
    auto res = http_.Get("/metrics");
    return res && res->status == 200 ? "\n" + res->body : std::string{};
  }

 private:
  httplib::Client http_;
};

bool reaches(const std::string& metrics, const std::string& prefix, const std::string& labels,
             const position& end) {
  return sample(metrics, prefix + "_file" + labels) ==
             static_cast<double>(*dm::binlog_file_index(end.first)) &&
         sample(metrics, prefix + "_pos" + labels) >= end.second;
}

void wait_relay(metrics_reader& m, const position& end) {
  while (!reaches(m.text(), "dm_relay_binlog", "{node=\"relay\",source_id=\"up\"}", end))
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
}

// Waits until the replica's I/O thread has read up to `end`.
void wait_io_thread(const mariadb_sandbox& replica, const position& end) {
  for (;;) {
    auto rows = replica.query("SHOW SLAVE STATUS");
    // Master_Log_File and Read_Master_Log_Pos are columns 6 and 7.
    if (!rows.empty() && rows[0][5] && rows[0][6] && *rows[0][5] == end.first &&
        std::stoul(*rows[0][6]) >= end.second)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

void master_pos_wait(const mariadb_sandbox& replica, const position& end) {
  auto r = replica.query("SELECT MASTER_POS_WAIT('" + end.first + "', " +
                         std::to_string(end.second) + ", 3600)");
  if (r.empty() || !r[0][0] || std::stol(*r[0][0]) < 0)
    throw std::runtime_error("the replica did not reach " + end.first + ":" +
                             std::to_string(end.second));
}

const std::string native_series = "MariaDB parallel replica";
const std::string dm_series = "dm-worker syncer";

// What one timed run of an applier records: the backlog (from, end) and where it lies.
struct backlog {
  int run;
  position from, end;
  const dm::bench::binlog_offsets& offsets;
  dm::bench::series_log& series;

  static constexpr double mb = 1048576.0;

  void start(const std::string& name) const {
    series.start(name, run);
    series.start(name + " backlog", run,
                 (offsets.at(end.first, end.second) - offsets.at(from.first, from.second)) / mb);
  }
  // Records that the applier `name` has applied up to (file, pos); `last` when it is done.
  void record(const std::string& name, uint32_t file, uint64_t pos, bool last = false) const {
    double applied = offsets.at(file, pos) - offsets.at(from.first, from.second);
    series.add(name, run, applied / mb, last);
    series.add(name + " backlog", run,
               std::max(0.0, offsets.at(end.first, end.second) - offsets.at(file, pos)) / mb, last);
  }
};

// Seconds the replica's SQL threads take to apply everything up to the backlog's end (polled
// every 10 ms, as dm-worker's metrics are).
double native_apply(const mariadb_sandbox& replica, const backlog& b) {
  auto conn = replica.connect();
  auto start = clock_type::now();
  b.start(native_series);
  replica.execute("START SLAVE SQL_THREAD");
  for (;; std::this_thread::sleep_for(std::chrono::milliseconds{10})) {
    auto rows = conn.query("SHOW SLAVE STATUS");
    if (!rows || rows->empty()) continue;
    // Relay_Master_Log_File and Exec_Master_Log_Pos are columns 10 and 22.
    auto& r = rows->front();
    if (!r[9] || !r[21]) continue;
    auto file = *dm::binlog_file_index(*r[9]);
    auto pos = std::stoull(*r[21]);
    bool done = file > *dm::binlog_file_index(b.end.first) ||
                (*r[9] == b.end.first && pos >= b.end.second);
    b.record(native_series, file, pos, done);
    if (done) break;
  }
  auto seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  replica.execute("STOP SLAVE SQL_THREAD");
  return seconds;
}

std::string task_from(const std::string& name, const mariadb_sandbox& downstream,
                      const position& from) {
  return task_yaml(name, {"up"}, downstream,
                   "    meta:\n      binlog-name: \"" + from.first + "\"\n      binlog-pos: " +
                       std::to_string(from.second) + "\n");
}

// Seconds dm-worker takes to apply `from`..`end` with a new task; `rows` gets its row count.
double dm_apply(worker_process& worker, metrics_reader& m, const mariadb_sandbox& downstream,
                const std::string& name, const backlog& b, double& rows) {
  auto yaml = worker.write_file(name + ".yaml", task_from(name, downstream, b.from));
  auto labels = "{node=\"syncer\",task=\"" + name + "\",source_id=\"up\"}";
  auto task_labels = "{task=\"" + name + "\",source_id=\"up\"}";
  auto start = clock_type::now();
  b.start(dm_series);
  auto r = worker.dmctl({"start-task", yaml});
  if (r.exit_code != 0) throw std::runtime_error("start-task failed: " + r.err);
  std::string text;
  for (;; std::this_thread::sleep_for(std::chrono::milliseconds{10})) {
    text = m.text();
    auto file = sample(text, "dm_syncer_binlog_file" + labels);
    auto pos = sample(text, "dm_syncer_binlog_pos" + labels);
    bool done = reaches(text, "dm_syncer_binlog", labels, b.end);
    if (file > 0 && pos >= 0)
      b.record(dm_series, static_cast<uint32_t>(file), static_cast<uint64_t>(pos), done);
    if (done) break;
  }
  auto seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  rows = sample(text, "dm_syncer_rows_applied_total" + task_labels);
  auto stopped = worker.dmctl({"stop-task", name});
  if (stopped.exit_code != 0) throw std::runtime_error("stop-task failed: " + stopped.err);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sync_bench: dm-worker's syncer versus MariaDB's parallel replica"};
  settings s;
  app.add_option("--tables", s.tables, "sysbench tables");
  app.add_option("--table-size", s.table_size, "rows per table");
  app.add_option("--seconds", s.seconds, "seconds of writes per backlog");
  app.add_option("--threads", s.threads, "sysbench threads writing the backlog");
  app.add_option("--runs", s.runs, "backlogs (timed runs of each)");
  app.add_option("--replica-threads", s.replica_threads, "slave_parallel_threads of the replica");
  std::string series_path;
  app.add_option("--series", series_path, "CSV file to append progress over time to");
  CLI11_PARSE(app, argc, argv);

  try {
    const std::vector<std::string> innodb = {"--innodb-buffer-pool-size=1G",
                                             "--max-binlog-size=256M"};
    auto up_options = sandbox_options::with_server_id(1);
    up_options.extra_args = innodb;
    mariadb_sandbox upstream{up_options};
    auto down_options = [&](uint32_t id) {
      auto o = sandbox_options::with_server_id(id);
      o.log_bin = false;
      o.extra_args = innodb;
      return o;
    };
    mariadb_sandbox ours_down{down_options(2)}, replica{down_options(3)};

    worker_options wo;
    wo.metrics = true;
    worker_process worker{wo};
    metrics_reader metrics{worker.metrics_addr()};
    auto created = worker.dmctl(
        {"operate-source", "create",
         worker.write_file("up.yaml", source_yaml("up", upstream,
                                                  "relay-binlog-name: binlog.000001\n"))});
    if (created.exit_code != 0) throw std::runtime_error(created.err);
    replica.execute("SET GLOBAL slave_parallel_threads = " + std::to_string(s.replica_threads) +
                    ", GLOBAL slave_parallel_mode = 'optimistic'");
    replica.execute("CHANGE MASTER TO master_host='127.0.0.1', master_port=" +
                    std::to_string(upstream.port()) +
                    ", master_user='root', master_log_file='binlog.000001', master_log_pos=4");
    replica.execute("START SLAVE");

    // The tables, replicated to both downstreams (not timed).
    upstream.execute("CREATE DATABASE sbtest");
    std::fprintf(stderr, "preparing %d x %d rows...\n", s.tables, s.table_size);
    sysbench(s, upstream, "prepare", 1);
    auto prepared = master_position(upstream);
    auto seed = worker.dmctl({"start-task", worker.write_file(
                                                "seed.yaml", task_from("seed", ours_down,
                                                                       {"binlog.000001", 4}))});
    if (seed.exit_code != 0) throw std::runtime_error(seed.err);
    wait_synced(worker, "seed", upstream, std::chrono::seconds{3600});
    worker.dmctl({"stop-task", "seed"});
    master_pos_wait(replica, prepared);
    replica.execute("STOP SLAVE SQL_THREAD");

    dm::bench::series_log series{series_path};
    std::vector<double> ours, native, row_counts;  // rows/s of each run
    for (int run = 1; run <= s.runs; ++run) {
      auto from = master_position(upstream);
      std::fprintf(stderr, "run %d: writing %d s of backlog...\n", run, s.seconds);
      sysbench(s, upstream, "run", run + 1);
      auto end = master_position(upstream);
      wait_relay(metrics, end);
      wait_io_thread(replica, end);
      dm::bench::binlog_offsets offsets{upstream};
      backlog log{run, from, end, offsets, series};
      double rows = 0, a = 0, b = 0;
      auto name = "bench" + std::to_string(run);
      if (run % 2) {
        a = dm_apply(worker, metrics, ours_down, name, log, rows);
        b = native_apply(replica, log);
      } else {
        b = native_apply(replica, log);
        a = dm_apply(worker, metrics, ours_down, name, log, rows);
      }
      ours.push_back(rows / a);
      native.push_back(rows / b);
      row_counts.push_back(rows);
      auto expected = sbtest_checksums(upstream, s.tables);
      bool same = sbtest_checksums(ours_down, s.tables) == expected &&
                  sbtest_checksums(replica, s.tables) == expected;
      std::fprintf(stderr,
                   "run %d: %.0f rows; dm-worker %.2f s (%.0f rows/s), replica %.2f s (%.0f "
                   "rows/s); downstreams %s\n",
                   run, rows, a, rows / a, b, rows / b, same ? "identical" : "DIFFER");
      if (!same) throw std::runtime_error("the downstreams differ from the upstream");
    }
    double rows = median(row_counts), a = median(ours), b = median(native);
    std::printf("sync benchmark: sysbench oltp_write_only, %d tables x %d rows, %d s backlogs "
                "of ~%.0f row changes, median of %d runs\n",
                s.tables, s.table_size, s.seconds, rows, s.runs);
    std::printf("%-52s %12s\n", "applier", "rows/s");
    std::printf("%-52s %12.0f\n", "dm-worker syncer (worker-count 16, batch 100)", a);
    auto label = "MariaDB replica (" + std::to_string(s.replica_threads) +
                 " optimistic parallel threads)";
    std::printf("%-52s %12.0f\n", label.c_str(), b);
    std::printf("ratio (dm-worker / replica): %.2fx\n", a / b);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sync_bench: %s\n", e.what());
    return 1;
  }
}
