#include "test/support/load_writers.hpp"

#include <stdexcept>

#include "common/error.hpp"

namespace dm::test {

using namespace std::chrono_literals;

load_writers::load_writers(const mariadb_sandbox& upstream, const sysbench_options& sysbench,
                           uint64_t seed, const std::string& mixed_db)
    : upstream_{upstream}, sysbench_{sysbench}, mixed_{mixed_db, seed} {
  auto conn = upstream.connect();
  if (auto err = conn.execute(mixed_.schema_sql())) throw std::runtime_error(dm::describe(err));
  mixed_.run(conn, 500);
  sysbench_thread_ = std::thread{[this] { run_sysbench_loop(); }};
  mixed_thread_ = std::thread{[this] { run_mixed_loop(); }};
}

void load_writers::stop() {
  stop_ = true;
  if (sysbench_thread_.joinable()) sysbench_thread_.join();
  if (mixed_thread_.joinable()) mixed_thread_.join();
}

void load_writers::run_sysbench_loop() {
  auto o = sysbench_;
  o.seconds = 5;
  while (!stop_) {
    ++o.seed;
    auto r = run_sysbench(upstream_, "run", o);
    ++sysbench_runs_;
    if (r.exit_code != 0) std::this_thread::sleep_for(500ms);  // the upstream is away
  }
}

void load_writers::run_mixed_loop() {
  while (!stop_) {
    try {
      auto conn = upstream_.connect();
      while (!stop_) {
        mixed_.run(conn, 20);
        mixed_changes_ += 20;
        std::this_thread::sleep_for(20ms);
      }
    } catch (const std::exception&) {
      ++reconnects_;
      std::this_thread::sleep_for(500ms);
    }
  }
}

}  // namespace dm::test
