#include "test/support/mariadb_sandbox.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/error.hpp"

namespace dm::test {

namespace {

std::string tail_of(const std::string& path, size_t bytes = 2000) {
  std::ifstream in{path};
  std::stringstream s;
  s << in.rdbuf();
  auto text = s.str();
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

pid_t read_pid(const std::string& file) {
  std::ifstream in{file};
  pid_t pid = -1;
  in >> pid;
  return pid;
}

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

}  // namespace

mariadb_sandbox::mariadb_sandbox(sandbox_options options) : options_(std::move(options)) {
  if (options_.dir.empty()) {
    options_.dir = make_temp_dir("dm-mariadb");
    owns_dir_ = true;
  } else {
    std::filesystem::create_directories(options_.dir);
  }
  if (options_.port == 0) options_.port = free_port();
  // The server's temporary files stay in its own directory: servers of tests running side by
  // side sharing /tmp lose each other's temporary tables (seen: "Error on delete of
  // '/tmp/#sql-temptable-...'" while another test's server started).
  std::filesystem::create_directories(options_.dir + "/tmp");
  install();
  start();
}

mariadb_sandbox::~mariadb_sandbox() {
  if (detached_) {
    server_.release();
    return;
  }
  try {
    stop();
  } catch (...) {
  }
  if (owns_dir_ || !options_.dir.empty()) remove_tree(options_.dir);
}

void mariadb_sandbox::install() {
  auto data = options_.dir + "/data";
  if (std::filesystem::exists(data + "/mysql")) return;
  auto r = run_command({"mariadb-install-db", "--no-defaults", "--datadir=" + data, "--user=root",
                        "--auth-root-authentication-method=normal", "--skip-test-db",
                        "--tmpdir=" + options_.dir + "/tmp"});
  if (r.exit_code != 0)
    throw std::runtime_error("mariadb-install-db failed in " + data + ": " + r.err + r.out);
}

void mariadb_sandbox::start() {
  auto& o = options_;
  std::vector<std::string> args = o.launcher;
  args.insert(args.end(), {"mariadbd",
                                "--no-defaults",
                                "--datadir=" + o.dir + "/data",
                                "--user=root",
                                "--port=" + std::to_string(o.port),
                                "--bind-address=" + o.host,
                                "--socket=" + o.dir + "/mariadbd.sock",
                                "--pid-file=" + o.dir + "/mariadbd.pid",
                                "--tmpdir=" + o.dir + "/tmp",
                                "--server-id=" + std::to_string(o.server_id),
                                "--skip-name-resolve",
                                "--max-connections=1000",
                                "--innodb-buffer-pool-size=256M",
                                "--gtid-strict-mode=1",
                                "--gtid-domain-id=0",
                                "--character-set-server=utf8mb4",
                                "--collation-server=utf8mb4_general_ci",
                                // Tests need speed, not durability against power loss.
                                "--innodb-flush-log-at-trx-commit=2"});
  if (o.log_bin) {
    args.push_back("--log-bin=" + o.dir + "/data/binlog");
    args.push_back("--binlog-format=" + o.binlog_format);
    args.push_back("--binlog-row-image=FULL");
    args.push_back("--binlog-row-metadata=" + o.row_metadata);
  }
  if (o.host != "127.0.0.1") {
    // Clients come from other addresses than localhost: root may log in from anywhere.
    auto init = o.dir + "/remote-root.sql";
    std::ofstream{init} << "CREATE USER IF NOT EXISTS root@'%';\n"
                           "GRANT ALL PRIVILEGES ON *.* TO root@'%' WITH GRANT OPTION;\n";
    args.push_back("--init-file=" + init);
  }
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  server_ = child_process{args, o.dir + "/mariadbd.log", true};
  wait_ready();
}

void mariadb_sandbox::wait_ready() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (std::chrono::steady_clock::now() < deadline) {
    if (!server_.running())
      throw std::runtime_error("mariadbd in " + options_.dir + " exited while starting:\n" +
                               tail_of(options_.dir + "/mariadbd.log"));
    connection_params p;
    p.host = options_.host;
    p.port = static_cast<uint16_t>(options_.port);
    p.connect_timeout = std::chrono::seconds{1};
    if (mysql_connection::open(p, server_role::downstream, "sandbox")) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  throw std::runtime_error("mariadbd in " + options_.dir + " did not accept connections:\n" +
                           tail_of(options_.dir + "/mariadbd.log"));
}

void mariadb_sandbox::stop() {
  if (server_.pid() > 0) server_.stop(std::chrono::seconds{60});
}

void mariadb_sandbox::kill() {
  if (server_.pid() > 0) server_.kill();
}

void mariadb_sandbox::move_to_port(int port) {
  stop();
  options_.port = port;
  start();
}

mysql_connection mariadb_sandbox::connect() const {
  connection_params p;
  p.host = options_.host;
  p.port = static_cast<uint16_t>(options_.port);
  auto conn = mysql_connection::open(p, server_role::downstream,
                                     "sandbox on port " + std::to_string(options_.port));
  if (!conn) throw std::runtime_error(describe(conn.error()));
  return std::move(*conn);
}

void mariadb_sandbox::execute(const std::string& sql) const {
  auto conn = connect();
  if (auto err = conn.execute(sql)) throw std::runtime_error(describe(err));
}

result_rows mariadb_sandbox::query(const std::string& sql) const {
  auto conn = connect();
  auto rows = conn.query(sql);
  if (!rows) throw std::runtime_error(describe(rows.error()));
  return std::move(*rows);
}

void mariadb_sandbox::destroy_dir(const std::string& dir) {
  auto pid = read_pid(dir + "/mariadbd.pid");
  if (alive(pid)) {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 600 && alive(pid); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    if (alive(pid)) ::kill(pid, SIGKILL);
  }
  remove_tree(dir);
}

}  // namespace dm::test
