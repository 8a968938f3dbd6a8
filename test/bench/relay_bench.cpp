// Relay ingest throughput: generates a binlog of --megabytes MB on a sandbox upstream, then
// copies it from the first byte to the end with MariaDB's own replica I/O thread (into its relay
// log) and with dm-worker's relay (into RocksDB), alternately, --runs times each, and prints
// MB/s of both and the ratio of the medians.
//
//   relay_bench [--megabytes 200] [--runs 3] [--series FILE]
//
// --series appends each run's MB read over time (see bench_util.hpp's series_log).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>
#include <httplib.h>

#include "common/position.hpp"
#include "test/bench/bench_util.hpp"
#include "test/support/harness.hpp"

using namespace dm::test;
using dm::bench::median;
using dm::bench::sample;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string native_series = "MariaDB replica I/O thread";
const std::string dm_series = "dm-worker relay";


// Seconds until the native replica's I/O thread has read up to `end`.
double native_io_thread(mariadb_sandbox& replica, const mariadb_sandbox& upstream,
                        const std::pair<std::string, uint32_t>& end, int run,
                        const dm::bench::binlog_offsets& offsets, dm::bench::series_log& series) {
  replica.execute("STOP SLAVE; RESET SLAVE ALL");
  replica.execute("CHANGE MASTER TO master_host='127.0.0.1', master_port=" +
                  std::to_string(upstream.port()) +
                  ", master_user='root', master_log_file='binlog.000001', master_log_pos=4");
  auto start = clock_type::now();
  series.start(native_series, run);
  replica.execute("START SLAVE IO_THREAD");
  auto conn = replica.connect();
  for (;;) {
    auto rows = conn.query("SHOW SLAVE STATUS");
    if (rows && !rows->empty()) {
      // Master_Log_File and Read_Master_Log_Pos are columns 6 and 7.
      auto& r = rows->front();
      if (r[5] && r[6]) {
        bool done = *r[5] == end.first && std::stoul(*r[6]) >= end.second;
        series.add(native_series, run, offsets.at(*r[5], std::stoul(*r[6])) / 1048576.0, done);
        if (done) break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  auto seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  replica.execute("STOP SLAVE");
  return seconds;
}


// Seconds until a new dm-worker source has relayed up to `end`, polled on the worker's metrics
// endpoint (as cheap a question as the I/O thread's SHOW SLAVE STATUS). Each run uses a fresh
// worker, so that it starts from empty storage as the I/O thread does after RESET SLAVE ALL.
double dm_relay(const mariadb_sandbox& upstream, int run,
                const std::pair<std::string, uint32_t>& end,
                const dm::bench::binlog_offsets& offsets, dm::bench::series_log& series) {
  worker_options wo;
  wo.metrics = true;
  worker_process worker{wo};
  auto id = "bench" + std::to_string(run);
  auto yaml = worker.write_file(id + ".yaml",
                                source_yaml(id, upstream, "relay-binlog-name: binlog.000001\n"));
  auto colon = worker.metrics_addr().rfind(':');
  httplib::Client http{worker.metrics_addr().substr(0, colon),
                       std::stoi(worker.metrics_addr().substr(colon + 1))};
  http.set_keep_alive(true);
  auto file = std::to_string(*dm::binlog_file_index(end.first));
  // The clock starts once the source exists, as the I/O thread's starts at START SLAVE: both
  // then connect, register and stream.
  auto created = worker.dmctl({"operate-source", "create", yaml});
  if (created.exit_code != 0) throw std::runtime_error(created.err);
  auto start = clock_type::now();
  series.start(dm_series, run);
  for (;;) {
    auto res = http.Get("/metrics");
    auto body = res && res->status == 200 ? res->body : std::string{};
    auto at_file = sample(body, "dm_relay_binlog_file{node=\"relay\",source_id=\"" + id + "\"}");
    auto at_pos = sample(body, "dm_relay_binlog_pos{node=\"relay\",source_id=\"" + id + "\"}");
    bool done = at_file == std::stod(file) && at_pos == end.second;
    if (at_file > 0 && at_pos >= 0)
      series.add(dm_series, run,
                 offsets.at(static_cast<uint32_t>(at_file), static_cast<uint64_t>(at_pos)) /
                     1048576.0,
                 done);
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"relay_bench: dm-worker's relay versus MariaDB's replica I/O thread"};
  int megabytes = 200, runs = 3;
  std::string series_path;
  app.add_option("--megabytes", megabytes, "binlog size to generate");
  app.add_option("--runs", runs, "timed runs of each");
  app.add_option("--series", series_path, "CSV file to append MB read over time to");
  CLI11_PARSE(app, argc, argv);

  auto opts = sandbox_options::with_server_id(1);
  opts.extra_args = {"--max-binlog-size=64M"};
  mariadb_sandbox upstream{opts};
  mariadb_sandbox replica{sandbox_options::with_server_id(3)};
  upstream.execute("CREATE DATABASE bench; CREATE TABLE bench.t (id BIGINT PRIMARY KEY, k INT, "
                   "note VARCHAR(200), at DATETIME(6))");
  uint64_t next = 1, bytes = 0;
  auto measure = [&] { return bytes = binlog_bytes(upstream); };
  // Transactions of 1,000 rows in 10 statements: many events of usual sizes.
  while (measure() < static_cast<uint64_t>(megabytes) << 20) {
    std::string sql = "USE bench;BEGIN";
    for (int s = 0; s < 10; ++s, next += 100)
      sql += ";INSERT INTO t SELECT seq, seq % 977, CONCAT('row ', seq, ' ', REPEAT('y', seq % "
             "120)), NOW(6) FROM seq_" + std::to_string(next) + "_to_" + std::to_string(next + 99);
    upstream.execute(sql + ";COMMIT");
  }
  auto end = master_position(upstream);
  dm::bench::binlog_offsets offsets{upstream};
  dm::bench::series_log series{series_path};
  std::vector<double> native, ours;
  for (int i = 0; i < runs; ++i) {
    native.push_back(native_io_thread(replica, upstream, end, i + 1, offsets, series));
    ours.push_back(dm_relay(upstream, i + 1, end, offsets, series));
    std::fprintf(stderr, "run %d: I/O thread %.2f s, dm-worker relay %.2f s\n", i + 1,
                 native.back(), ours.back());
  }
  double mb = bytes / 1048576.0, a = median(ours), b = median(native);
  std::printf("relay benchmark: %.1f MB of binlog up to %s:%u, median of %d runs\n", mb,
              end.first.c_str(), end.second, runs);
  std::printf("%-40s %10s %10s\n", "reader", "seconds", "MB/s");
  std::printf("%-40s %10.2f %10.1f\n", "dm-worker relay (RocksDB)", a, mb / a);
  std::printf("%-40s %10.2f %10.1f\n", "MariaDB replica I/O thread", b, mb / b);
  std::printf("ratio (dm-worker / I/O thread): %.2fx\n", b / a);
  return 0;
}
