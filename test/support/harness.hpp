// Integration test building blocks: a dm-worker process with its config and data dir, dmctl
// invocations, waiting for a task to catch up, and comparing upstream and downstream data.
#pragma once

#include <chrono>
#include <random>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/support/mariadb_sandbox.hpp"
#include "test/support/process.hpp"

namespace dm::test {

struct worker_options {
  std::string name = "worker-1";
  // Where RocksDB lives; empty: "data" in the worker's directory.
  std::string data_dir;
  // Serve /metrics on a free port.
  bool metrics = false;
  // More worker.toml lines.
  std::string extra_toml;
  // Flags every dmctl call carries (TLS files, token), also while the worker starts.
  std::vector<std::string> dmctl_flags;
  // The address its admin (and metrics) endpoint listens on.
  std::string host = "127.0.0.1";
  // Words run before dm-worker (see sandbox_options::launcher).
  std::vector<std::string> launcher;
};

// The path of one of the project's binaries in the build dir ("dm-worker", "dmctl", ...).
std::string binary_path(const std::string& name);

// A dm-worker process with its own directory (config, data-dir, log).
class worker_process {
 public:
  // Writes worker.toml into a new temp dir and starts the worker.
  explicit worker_process(worker_options options = {});
  ~worker_process();

  // Starts (again) and waits until dmctl can talk to it; throws if it does not come up.
  void start();
  // SIGKILL.
  void kill();
  // SIGTERM and wait.
  int stop();

  // The running worker's process id (-1 when stopped).
  pid_t pid() const { return process_.pid(); }
  const std::string& addr() const { return addr_; }
  const std::string& dir() const { return dir_; }
  const std::string& data_dir() const { return data_dir_; }
  // host:port of /metrics (empty without metrics).
  const std::string& metrics_addr() const { return metrics_addr_; }
  std::string log() const;
  // Lines of the worker's log file that contain `needle`.
  size_t count_log_lines(const std::string& needle) const;

  // Runs dmctl against this worker (with the options' dmctl_flags).
  command_result dmctl(const std::vector<std::string>& args) const;
  // Runs dmctl against this worker with `flags` instead of the options' dmctl_flags.
  command_result dmctl_with(const std::vector<std::string>& flags,
                            const std::vector<std::string>& args) const;
  // Runs dmctl without a command (interactive mode) with `input` on its standard input.
  command_result dmctl_interactive(const std::string& input) const;
  // Runs dmctl --json; throws with dmctl's error when it exits non-zero.
  nlohmann::json dmctl_json(const std::vector<std::string>& args) const;

  // Writes `text` to a file in the worker's directory and returns its path.
  std::string write_file(const std::string& name, const std::string& text) const;

 private:
  std::string name_;
  std::vector<std::string> dmctl_flags_;
  std::vector<std::string> launcher_;
  std::string dir_;
  std::string data_dir_;
  std::string addr_;
  std::string metrics_addr_;
  child_process process_;
};

// GET http://addr/path; the response body, or throws.
std::string http_get(const std::string& addr, const std::string& path);
// GETs the worker's /metrics (it must run with metrics on) and parses every sample line as
// `name{labels} value`: series -> value. Throws on a line that does not parse, and when a
// series lacks its # TYPE line.
std::map<std::string, double> scrape_metrics(const worker_process& worker);

// source.yaml text for `server` (root, no password).
std::string source_yaml(const std::string& source_id, const mariadb_sandbox& server,
                        const std::string& extra = "");
// task.yaml text of an incremental task from `sources` into `target`.
std::string task_yaml(const std::string& name, const std::vector<std::string>& sources,
                      const mariadb_sandbox& target, const std::string& extra = "");

// Creates source `source_id` on `upstream` (source_yaml) and starts the task of `task_text`
// (task.yaml text); throws with dmctl's error when either is refused.
void create_source_and_start_task(const worker_process& worker, const std::string& source_id,
                                  const mariadb_sandbox& upstream, const std::string& task_text);

// Waits until the relay of `source` has stored everything the upstream has written (up to its
// position when asked); throws with the last status and the worker's log after `timeout`.
void wait_relay_caught_up(const worker_process& worker, const std::string& source,
                          const mariadb_sandbox& upstream,
                          std::chrono::seconds timeout = std::chrono::seconds{180});

// Whether the relay of `source` on `worker` has stored the upstream's binlog up to at least
// `target` (file, pos); false also when the worker does not answer or lacks the source.
// `status`, when given, receives operate-source show's answer.
bool relay_reached(const worker_process& worker, const std::string& source,
                   const std::pair<std::string, uint32_t>& target,
                   std::string* status = nullptr);

// Waits until the relay of `source` on `worker` has stored the upstream's binlog up to at least
// `target` (file, pos), for upstreams written to all along; throws after `timeout`.
void wait_relay_reached(const worker_process& worker, const std::string& source,
                        const std::pair<std::string, uint32_t>& target,
                        std::chrono::seconds timeout = std::chrono::seconds{120});

// Bytes of all binlog files of `server` (SHOW BINARY LOGS).
uint64_t binlog_bytes(const mariadb_sandbox& server);

// SHOW MASTER STATUS as (file, pos).
std::pair<std::string, uint32_t> master_position(const mariadb_sandbox& server);

// Waits until query-status says every source of `task` (or only `source`, when given) caught
// up, synced at the upstream's current binlog position. Throws with the last status on timeout.
void wait_synced(const worker_process& worker, const std::string& task,
                 const mariadb_sandbox& upstream,
                 std::chrono::seconds timeout = std::chrono::seconds{180},
                 const std::string& source = "");

// The query-status JSON of `source` of `task` (its first source when empty); throws with dmctl's
// error when the query fails or the task has no such source.
nlohmann::json task_source_status(const worker_process& worker, const std::string& task,
                                  const std::string& source = "");

// Waits until `source` of `task` (its first source when empty) is in `stage` ("Paused",
// "Running", "Finished"); returns its status. Throws with the last status and the worker's log
// tail after `timeout`.
nlohmann::json wait_task_stage(const worker_process& worker, const std::string& task,
                               const std::string& stage,
                               std::chrono::seconds timeout = std::chrono::seconds{120},
                               const std::string& source = "");

// Compares `db` upstream and downstream: the database's default charset and collation, the
// table list, and per table its SHOW CREATE TABLE (AUTO_INCREMENT counter aside), its indexes
// (names, uniqueness, columns), its CHECKSUM TABLE and, on a mismatch, the first differing rows.
// Returns an empty string when identical, else a description of the differences.
std::string compare_database(const mariadb_sandbox& upstream, const mariadb_sandbox& downstream,
                             const std::string& db);

// Compares the relay log of `source` in `worker`'s data dir, printed by dm-binlog --verbose,
// with the upstream's binlog files printed by mariadb-binlog --verbose from `start` on: the same
// events (by their "# at" offsets per file) and the same `###` row lines (an unsigned value may
// stand for mariadb-binlog's "signed (unsigned)" spelling). Returns "" when equal, else the
// first difference. `events` receives the number of events compared.
std::string compare_relay_with_upstream(const worker_process& worker, const std::string& source,
                                        const mariadb_sandbox& upstream,
                                        const std::string& start_file, uint32_t start_pos,
                                        size_t* events = nullptr);

// Row count of db.table.
uint64_t row_count(const mariadb_sandbox& server, const std::string& table);

}  // namespace dm::test
