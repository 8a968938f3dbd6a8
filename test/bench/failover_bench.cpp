// Failover time of a cluster on etcd: a 3-member etcd, three dm-workers joined to it
// (keepalive-ttl --ttl), one source whose upstream is written to all along. Each run SIGKILLs
// the source's owner and measures the time until another worker runs the source, and until that
// worker's relay has stored what the upstream had written by then; the killed worker is started again before the
// next run. Prints each run and the medians. There is no reference to run beside it here: DM's
// own failover waits for its keepalive-ttl (60 s by default) the same way.
//
//   failover_bench [--runs 5] [--ttl 10]
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>

#include "test/bench/bench_util.hpp"
#include "test/support/etcd_cluster.hpp"
#include "test/support/harness.hpp"

using namespace dm::test;
using dm::bench::median;

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// The worker (index) that runs `source` by its own account, -1 when none does.
int runner(const std::vector<std::unique_ptr<worker_process>>& workers, const std::string& source) {
  for (size_t i = 0; i < workers.size(); ++i) {
    if (workers[i]->pid() <= 0) continue;
    auto r = workers[i]->dmctl({"--json", "list-member"});
    if (r.exit_code != 0) continue;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) continue;
    for (auto& m : j["members"])
      for (auto& s : m["sources"])
        if (s == source) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"failover time of a source in a cluster on etcd"};
  int runs = 5;
  int ttl = 10;
  app.add_option("--runs", runs, "owner kills")->check(CLI::PositiveNumber);
  app.add_option("--ttl", ttl, "the workers' keepalive-ttl, seconds")->check(CLI::Range(3, 120));
  CLI11_PARSE(app, argc, argv);

  etcd_cluster etcd{3};
  mariadb_sandbox upstream;
  upstream.execute("CREATE DATABASE t; CREATE TABLE t.w (id INT AUTO_INCREMENT PRIMARY KEY, "
                   "v VARCHAR(40))");
  std::vector<std::unique_ptr<worker_process>> workers;
  for (int i = 1; i <= 3; ++i) {
    worker_options o;
    o.name = "w" + std::to_string(i);
    o.extra_toml = "join = \"" + etcd.endpoints() + "\"\nkeepalive-ttl = " +
                   std::to_string(ttl) + "\n";
    workers.push_back(std::make_unique<worker_process>(o));
  }
  auto file = workers[0]->write_file("s1.yaml", source_yaml("s1", upstream));
  auto created = run_command({binary_path("dmctl"), "--master-addr", etcd.endpoints(),
                              "operate-source", "create", file});
  if (created.exit_code != 0) {
    std::fprintf(stderr, "failover_bench: %s%s\n", created.out.c_str(), created.err.c_str());
    return 1;
  }
  std::atomic<bool> stop{false};
  std::thread writer{[&] {
    while (!stop) {
      upstream.execute("INSERT INTO t.w (v) VALUES (REPEAT('x', 30))");
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  }};

  std::vector<double> to_running, to_caught_up;
  std::printf("failover of one source, 3 workers, keepalive-ttl %d s, %d runs\n\n", ttl, runs);
  std::printf("| run | SIGKILL -> relay running elsewhere (s) | SIGKILL -> relay caught up (s) |\n");
  std::printf("|---|---|---|\n");
  int status = 0;
  for (int run = 1; run <= runs && status == 0; ++run) {
    auto deadline = clock_type::now() + std::chrono::seconds{60};
    int owner = -1;
    while ((owner = runner(workers, "s1")) < 0 && clock_type::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    if (owner < 0) {
      std::fprintf(stderr, "failover_bench: no worker runs s1\n");
      status = 1;
      break;
    }
    wait_relay_reached(*workers[owner], "s1", master_position(upstream));
    auto killed = clock_type::now();
    workers[owner]->kill();
    int next = -1;
    while ((next = runner(workers, "s1")) < 0 && since(killed) < 60)
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    if (next < 0) {
      std::fprintf(stderr, "failover_bench: s1 did not move within 60 s\n");
      status = 1;
      break;
    }
    double running = since(killed);
    wait_relay_reached(*workers[next], "s1", master_position(upstream), std::chrono::seconds{60});
    double caught_up = since(killed);
    to_running.push_back(running);
    to_caught_up.push_back(caught_up);
    std::printf("| %d | %.2f | %.2f |\n", run, running, caught_up);
    std::fflush(stdout);
    workers[owner]->start();
  }
  stop = true;
  writer.join();
  if (status != 0) return status;
  std::printf("| median | %.2f | %.2f |\n\n", median(to_running), median(to_caught_up));
  std::printf("failover (keepalive-ttl %d s): median %.2f s to relay caught up\n", ttl,
              median(to_caught_up));
  return 0;
}
