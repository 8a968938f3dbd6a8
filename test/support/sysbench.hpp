// Runs sysbench's oltp_write_only (Debian's sysbench 1.0) against a sandbox's `sbtest` database:
// the sysbench-like workload of benchmarks and fault tests.
#pragma once

#include <string>

#include "test/support/mariadb_sandbox.hpp"
#include "test/support/process.hpp"

namespace dm::test {

struct sysbench_options {
  int tables = 4;
  int table_size = 10000;
  // Client threads of `run` (prepare always uses one).
  int threads = 4;
  // Duration of `run`.
  int seconds = 10;
  // Transactions per second of `run` over all threads; 0 is as fast as possible.
  int rate = 0;
  int seed = 1;
};

// Runs `sysbench oltp_write_only <command>` ("prepare", "run", "cleanup") against `server`'s
// `sbtest` database (which must exist), ignoring server errors in `run`. Returns its result;
// the caller decides whether a non-zero exit is fatal.
command_result run_sysbench(const mariadb_sandbox& server, const std::string& command,
                            const sysbench_options& options);

}  // namespace dm::test
