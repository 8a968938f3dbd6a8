// Decoder throughput: generates a binlog of at least --megabytes MB on a sandbox MariaDB (rows of
// integers, decimals, temporals and strings), then times `dm-binlog --verbose` and
// `mariadb-binlog --verbose` on the same files in the same run, output discarded, and prints
// MB/s and events/s of both with the ratio (medians over --runs runs).
//
//   decode_bench [--megabytes 200] [--runs 3]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "test/bench/bench_util.hpp"
#include "test/support/mariadb_sandbox.hpp"

using namespace dm::test;
using dm::bench::median;

namespace {

double seconds_of(const std::vector<std::string>& argv) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_command(argv);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.exit_code != 0) {
    std::fprintf(stderr, "decode_bench: %s failed: %s\n", argv[0].c_str(), r.err.c_str());
    std::exit(1);
  }
  return elapsed;
}


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"decode_bench: dm-binlog versus mariadb-binlog on the same binlog"};
  int megabytes = 200, runs = 3;
  app.add_option("--megabytes", megabytes, "binlog size to generate");
  app.add_option("--runs", runs, "timed runs per tool");
  CLI11_PARSE(app, argc, argv);

  auto opts = sandbox_options::with_server_id(21);
  opts.extra_args = {"--max-binlog-size=256M"};
  mariadb_sandbox server{opts};
  server.execute(
      "CREATE DATABASE bench; CREATE TABLE bench.t (id BIGINT PRIMARY KEY, k INT, "
      "price DECIMAL(12,2), created DATETIME(6), note VARCHAR(120), flag TINYINT UNSIGNED)");
  // Batches of 100,000 rows (about 20 MB of binlog) until the size is reached.
  uint64_t next = 1;
  auto binlog_bytes = [&] {
    uint64_t total = 0;
    for (auto& e : std::filesystem::directory_iterator(server.dir() + "/data"))
      if (e.path().filename().string().rfind("binlog.0", 0) == 0) total += e.file_size();
    return total;
  };
  while (binlog_bytes() < static_cast<uint64_t>(megabytes) << 20) {
    // Several statements per transaction keep rows events of typical size.
    std::string sql = "USE bench;BEGIN";
    for (int s = 0; s < 10; ++s, next += 10000)
      sql += ";INSERT INTO bench.t SELECT seq, seq % 1000, seq / 7, '2024-01-01 00:00:00' + "
             "INTERVAL seq SECOND, CONCAT('note ', seq, ' ', REPEAT('x', seq % 80)), seq % 256 "
             "FROM seq_" + std::to_string(next) + "_to_" + std::to_string(next + 9999);
    server.execute(sql + ";COMMIT");
  }
  server.execute("FLUSH BINARY LOGS");
  std::vector<std::string> files;
  uint64_t bytes = 0;
  for (auto& e : std::filesystem::directory_iterator(server.dir() + "/data")) {
    auto name = e.path().filename().string();
    if (name.rfind("binlog.0", 0) == 0) {
      files.push_back(e.path().string());
      bytes += e.file_size();
    }
  }
  std::sort(files.begin(), files.end());
  // Count events once (with dm-binlog's own output).
  std::vector<std::string> count_cmd{"sh", "-c", "\"$0\" \"$@\" | grep -c '^# at '",
                                     dm::test::build_dir() + "/app/dm-binlog"};
  count_cmd.insert(count_cmd.end(), files.begin(), files.end());
  auto counted = run_command(count_cmd);
  double events = std::stod(counted.out.empty() ? "0" : counted.out);

  std::vector<std::string> ours{"sh", "-c", "\"$0\" \"$@\" > /dev/null",
                                dm::test::build_dir() + "/app/dm-binlog", "--verbose"};
  std::vector<std::string> theirs{"sh", "-c", "\"$0\" \"$@\" > /dev/null", "mariadb-binlog",
                                  "--no-defaults", "--verbose", "--base64-output=decode-rows"};
  ours.insert(ours.end(), files.begin(), files.end());
  theirs.insert(theirs.end(), files.begin(), files.end());
  std::vector<double> t_ours, t_theirs;
  for (int i = 0; i < runs; ++i) {
    t_ours.push_back(seconds_of(ours));
    t_theirs.push_back(seconds_of(theirs));
  }
  double mb = bytes / 1048576.0, a = median(t_ours), b = median(t_theirs);
  std::printf("decode benchmark: %.1f MB of binlog in %zu files, %.0f events, median of %d runs\n",
              mb, files.size(), events, runs);
  std::printf("%-34s %10s %10s %14s\n", "tool", "seconds", "MB/s", "events/s");
  std::printf("%-34s %10.2f %10.1f %14.0f\n", "dm-binlog --verbose", a, mb / a, events / a);
  std::printf("%-34s %10.2f %10.1f %14.0f\n", "mariadb-binlog --verbose", b, mb / b, events / b);
  std::printf("ratio (dm-binlog speed / mariadb-binlog speed): %.2fx\n", b / a);
  return 0;
}
