// Memory bound: with the downstream stopped, the upstream writes DM_MEMORY_BINLOG_MB (default
// 1024) MB of binlog: inserts of ~1 KB rows in ~10 MB transactions, updates and deletes of
// whole ranges (before and after images), and one transaction of ~200 MB. The relay must keep
// up (store everything within seconds of the last write) while the syncer, with nowhere to
// apply, holds at its memory budget; then the downstream returns and the backlog drains. The
// worker's peak RSS (VmHWM: the kernel's high-water mark over the process's life, so no
// sampling can miss a spike) must stay under the documented bound of 512 MB.
#define BOOST_TEST_MODULE memory_bound
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "test/support/harness.hpp"

using namespace dm::test;
using namespace std::chrono_literals;

namespace {

constexpr double rss_bound_mb = 512;

// A field of /proc/<pid>/status in MB ("VmRSS", "VmHWM"); throws when it is not there.
double proc_status_mb(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024;
  throw std::runtime_error("no " + field + " in /proc/" + std::to_string(pid) + "/status");
}

// Writes at least `megabytes` MB of binlog into mem.t.
void write_binlog(const mariadb_sandbox& upstream, uint64_t megabytes) {
  auto conn = upstream.connect();
  auto run = [&](const std::string& sql) {
    if (auto err = conn.execute(sql)) throw std::runtime_error(sql + ": " + dm::describe(err));
  };
  auto start = binlog_bytes(upstream);
  auto target = start + (megabytes << 20);
  auto range = [](uint64_t from, uint64_t to) {
    return " FROM mem.seq_" + std::to_string(from) + "_to_" + std::to_string(to);
  };
  auto insert = [&](uint64_t from, uint64_t to) {
    run("INSERT INTO mem.t SELECT seq, seq % 1000, REPEAT(MD5(seq), 30)" + range(from, to));
  };
  uint64_t next = 1;
  // The big transaction first: ~200 MB of rows in one COMMIT.
  run("BEGIN");
  for (int i = 0; i < 20; ++i, next += 10000) insert(next, next + 9999);
  run("COMMIT");
  for (uint64_t round = 0; binlog_bytes(upstream) < target; ++round) {
    insert(next, next + 9999);  // one ~10 MB transaction (autocommit)
    next += 10000;
    auto lo = std::to_string(1 + (round * 7919) % (next - 5000));
    if (round % 3 == 0)
      run("UPDATE mem.t SET k = k + 1, payload = REVERSE(payload) WHERE id BETWEEN " + lo +
          " AND " + lo + " + 4999");
    if (round % 5 == 4) run("DELETE FROM mem.t WHERE id BETWEEN " + lo + " AND " + lo + " + 2999");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_stopped_downstream_keeps_the_worker_under_its_memory_bound) {
  const char* env = std::getenv("DM_MEMORY_BINLOG_MB");
  const uint64_t megabytes = env && *env ? std::stoull(env) : 1024;
  auto options = sandbox_options::with_server_id(1);
  options.extra_args = {"--max-binlog-size=256M"};
  mariadb_sandbox upstream{options};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  create_source_and_start_task(worker, "up", upstream, task_yaml("t", {"up"}, downstream));
  upstream.execute(
      "CREATE DATABASE mem; CREATE TABLE mem.t (id BIGINT PRIMARY KEY, k INT, payload TEXT, "
      "KEY k (k))");
  wait_synced(worker, "t", upstream);
  downstream.stop();

  auto write_started = std::chrono::steady_clock::now();
  write_binlog(upstream, megabytes);
  auto write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_started).count();
  auto written_mb = binlog_bytes(upstream) / 1048576.0;

  // The relay keeps up: it stores the last write within seconds.
  wait_relay_caught_up(worker, "up", upstream, 60s);
  auto relay_done = std::chrono::steady_clock::now();
  auto stalled = worker.dmctl_json({"query-status", "t"})["tasks"][0]["sources"][0];
  BOOST_TEST_MESSAGE("syncer while the downstream is away: " << stalled.dump());

  // The downstream returns; the backlog drains.
  auto rss_stalled = proc_status_mb(worker.pid(), "VmRSS");
  downstream.start();
  wait_synced(worker, "t", upstream, std::chrono::seconds{900});
  auto drained_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - relay_done).count();
  auto peak = proc_status_mb(worker.pid(), "VmHWM");
  std::cout << "memory_bound: " << written_mb << " MB of binlog written in " << write_seconds
            << " s with the downstream stopped; worker RSS then " << rss_stalled
            << " MB; backlog drained in " << drained_seconds << " s; peak RSS (VmHWM) " << peak
            << " MB, bound " << rss_bound_mb << " MB" << std::endl;
  BOOST_CHECK_GE(written_mb, static_cast<double>(megabytes));
  BOOST_CHECK_LT(peak, rss_bound_mb);
  auto diff = compare_database(upstream, downstream, "mem");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
}
