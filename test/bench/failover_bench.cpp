// Failover time of a cluster on etcd: a 3-member etcd, three dm-workers joined to it
// (keepalive-ttl --ttl), one source whose upstream is written to all along, and an incremental
// task from it into a downstream, both made through etcd. Each run SIGKILLs the source's owner
// and measures the time until another worker runs the source, until that worker's relay has
// stored what the upstream had written by the kill, until the task applies there, and until the
// downstream has every row the upstream had at the kill; the killed worker is started again
// before the next run. Prints each run and the medians. There is no reference to run beside it here: DM's
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

// Whether worker `w` applies task `task` in its sync unit: a part that started there.
bool applies(const worker_process& w, const std::string& task) {
  try {
    auto status = task_source_status(w, task);
    return status["stage"] == "Running" && status["unit"] == "Sync";
  } catch (const std::exception&) {
    return false;
  }
}

uint64_t max_id(const mariadb_sandbox& server) {
  auto rows = server.query("SELECT COALESCE(MAX(id), 0) FROM t.w");
  return std::stoull(rows.at(0).at(0).value_or("0"));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"failover time of a source and its task in a cluster on etcd"};
  int runs = 5;
  int ttl = 10;
  app.add_option("--runs", runs, "owner kills")->check(CLI::PositiveNumber);
  app.add_option("--ttl", ttl, "the workers' keepalive-ttl, seconds")->check(CLI::Range(3, 120));
  CLI11_PARSE(app, argc, argv);

  etcd_cluster etcd{3};
  mariadb_sandbox upstream, downstream;
  for (auto* server : {&upstream, &downstream})
    server->execute("CREATE DATABASE t; CREATE TABLE t.w (id INT AUTO_INCREMENT PRIMARY KEY, "
                    "v VARCHAR(40))");
  std::vector<std::unique_ptr<worker_process>> workers;
  for (int i = 1; i <= 3; ++i) {
    worker_options o;
    o.name = "w" + std::to_string(i);
    o.extra_toml = "join = \"" + etcd.endpoints() + "\"\nkeepalive-ttl = " +
                   std::to_string(ttl) + "\n";
    workers.push_back(std::make_unique<worker_process>(o));
  }
  auto dmctl = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{binary_path("dmctl"), "--master-addr", etcd.endpoints()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    if (r.exit_code != 0)
      std::fprintf(stderr, "failover_bench: dmctl %s: %s%s\n", args.front().c_str(),
                   r.out.c_str(), r.err.c_str());
    return r.exit_code == 0;
  };
  if (!dmctl({"operate-source", "create",
              workers[0]->write_file("s1.yaml", source_yaml("s1", upstream))}) ||
      !dmctl({"start-task",
              workers[0]->write_file("t.yaml", task_yaml("t", {"s1"}, downstream))}))
    return 1;
  std::atomic<bool> stop{false};
  std::thread writer{[&] {
    while (!stop) {
      upstream.execute("INSERT INTO t.w (v) VALUES (REPEAT('x', 30))");
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  }};

  // Seconds from the SIGKILL until: the source runs on another worker, its relay has what the
  // upstream had at the kill, the task applies there, and the downstream has every row the
  // upstream had at the kill.
  std::vector<double> to_running, to_caught_up, to_applying, to_downstream;
  std::printf("failover of one source and its incremental task, 3 workers, keepalive-ttl %d s, "
              "%d runs, ~100 inserts/s\n\n", ttl, runs);
  std::printf("| run | relay running elsewhere (s) | relay caught up (s) | task applying (s) | "
              "downstream caught up (s) |\n");
  std::printf("|---|---|---|---|---|\n");
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
    while (!applies(*workers[owner], "t") && clock_type::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    auto killed = clock_type::now();
    workers[owner]->kill();
    auto position = master_position(upstream);
    auto rows = max_id(upstream);
    double running = -1, caught_up = -1, applying = -1, synced = -1;
    int next = -1;
    while ((caught_up < 0 || applying < 0 || synced < 0) && since(killed) < 120) {
      if (next < 0 && (next = runner(workers, "s1")) >= 0) running = since(killed);
      if (next >= 0 && caught_up < 0 && relay_reached(*workers[next], "s1", position))
        caught_up = since(killed);
      if (next >= 0 && applying < 0 && applies(*workers[next], "t")) applying = since(killed);
      if (synced < 0 && max_id(downstream) >= rows) synced = since(killed);
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    if (caught_up < 0 || applying < 0 || synced < 0) {
      std::fprintf(stderr, "failover_bench: run %d: s1 or its task did not recover within 120 s "
                   "(running %.2f, relay %.2f, applying %.2f, downstream %.2f)\n",
                   run, running, caught_up, applying, synced);
      status = 1;
      break;
    }
    to_running.push_back(running);
    to_caught_up.push_back(caught_up);
    to_applying.push_back(applying);
    to_downstream.push_back(synced);
    std::printf("| %d | %.2f | %.2f | %.2f | %.2f |\n", run, running, caught_up, applying, synced);
    std::fflush(stdout);
    workers[owner]->start();
  }
  stop = true;
  writer.join();
  if (status != 0) return status;
  std::printf("| median | %.2f | %.2f | %.2f | %.2f |\n\n", median(to_running),
              median(to_caught_up), median(to_applying), median(to_downstream));
  std::printf("failover (keepalive-ttl %d s): median %.2f s to relay caught up, %.2f s to the "
              "downstream caught up\n",
              ttl, median(to_caught_up), median(to_downstream));
  return 0;
}
