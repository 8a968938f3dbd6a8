// A sustained write load on one upstream for fault tests: sysbench oltp_write_only on sbtest.*
// in short runs, and the mixed workload (workload.hpp) on its own database, both riding out
// upstream restarts (a run cut short is started again; the mixed workload reconnects after any
// error: a statement cut off either committed or not, and the upstream is the truth either way).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "test/support/mariadb_sandbox.hpp"
#include "test/support/sysbench.hpp"
#include "test/support/workload.hpp"

namespace dm::test {

class load_writers {
 public:
  // Creates the mixed workload's tables in `mixed_db` with a first 500 changes, then starts
  // both writers. sbtest must be prepared already.
  load_writers(const mariadb_sandbox& upstream, const sysbench_options& sysbench, uint64_t seed,
               const std::string& mixed_db = "app");
  ~load_writers() { stop(); }
  load_writers(const load_writers&) = delete;
  load_writers& operator=(const load_writers&) = delete;

  // Stops both writers and waits for them.
  void stop();
  size_t sysbench_runs() const { return sysbench_runs_; }
  size_t mixed_changes() const { return mixed_changes_; }
  size_t reconnects() const { return reconnects_; }

 private:
  void run_sysbench_loop();
  void run_mixed_loop();

  const mariadb_sandbox& upstream_;
  sysbench_options sysbench_;
  mixed_workload mixed_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> sysbench_runs_{0}, mixed_changes_{0}, reconnects_{0};
  std::thread sysbench_thread_, mixed_thread_;
};

}  // namespace dm::test
