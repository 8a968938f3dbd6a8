// Throwaway mariadbd instances for tests: own temp data dir, a free loopback port, binlog on
// (ROW, FULL row image, GTID strict mode), distinct server ids. The server is stopped and its
// directory removed when the object goes away, also when a test fails.
//
// Shell scripts use the same code through the dm-sandbox command (sandbox_main.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/mysql_connection.hpp"
#include "test/support/process.hpp"

namespace dm::test {

struct sandbox_options {
  uint32_t server_id = 1;
  bool log_bin = true;
  std::string binlog_format = "ROW";
  // binlog_row_metadata: FULL logs column names and keys; NO_LOG is MariaDB's default.
  std::string row_metadata = "FULL";
  // More mariadbd options, e.g. "--max-binlog-size=1M".
  std::vector<std::string> extra_args;
  // Where to put the instance; empty makes a new temp dir.
  std::string dir;
  // 0 picks a free port.
  int port = 0;
  // The address it listens on and tests connect to.
  std::string host = "127.0.0.1";
  // Words run before mariadbd, e.g. {"ip", "netns", "exec", "ns1"} to start it in another
  // network namespace (the command must exec mariadbd in place, keeping its pid).
  std::vector<std::string> launcher;

  // Defaults with the given server id.
  static sandbox_options with_server_id(uint32_t id) {
    sandbox_options o;
    o.server_id = id;
    return o;
  }
};

class mariadb_sandbox {
 public:
  // Creates the data dir and starts the server; throws std::runtime_error with the server's
  // log tail when it does not come up.
  explicit mariadb_sandbox(sandbox_options options = {});
  ~mariadb_sandbox();
  mariadb_sandbox(const mariadb_sandbox&) = delete;
  mariadb_sandbox& operator=(const mariadb_sandbox&) = delete;

  int port() const { return options_.port; }
  const std::string& host() const { return options_.host; }
  const std::string& dir() const { return options_.dir; }
  uint32_t server_id() const { return options_.server_id; }

  // Orderly shutdown, keeping the data; start() brings it back on the same port.
  void stop();
  // SIGKILL, keeping the data.
  void kill();
  void start();
  // Stops the server and starts it again listening on `port` (a failover behind one address).
  void move_to_port(int port);

  // A new root connection.
  mysql_connection connect() const;
  // Runs statements; throws std::runtime_error with the server's message on failure.
  void execute(const std::string& sql) const;
  result_rows query(const std::string& sql) const;

  // Leaves the server running and its directory in place when this object goes away (the
  // dm-sandbox command hands it to a shell script this way).
  void detach() { detached_ = true; }

  // Stops the server of a detached sandbox directory and removes the directory.
  static void destroy_dir(const std::string& dir);

 private:
  void install();
  void wait_ready();

  sandbox_options options_;
  child_process server_;
  bool owns_dir_ = false;
  bool detached_ = false;
};

}  // namespace dm::test
