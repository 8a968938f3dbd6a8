#include "test/support/sysbench.hpp"

#include <vector>

namespace dm::test {

command_result run_sysbench(const mariadb_sandbox& server, const std::string& command,
                            const sysbench_options& o) {
  std::vector<std::string> argv = {
      "sysbench", "oltp_write_only", "--db-driver=mysql", "--mysql-host=" + server.host(),
      "--mysql-port=" + std::to_string(server.port()), "--mysql-user=root", "--mysql-db=sbtest",
      "--tables=" + std::to_string(o.tables), "--table-size=" + std::to_string(o.table_size),
      "--threads=" + std::to_string(command == "prepare" ? 1 : o.threads),
      "--time=" + std::to_string(o.seconds), "--rate=" + std::to_string(o.rate),
      "--rand-seed=" + std::to_string(o.seed), "--mysql-ignore-errors=all", command};
  return run_command(argv);
}

}  // namespace dm::test
