// Child processes for tests: start a program with arguments, its output going to a file; stop it
// politely or kill it; run a command to completion and capture its output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace dm::test {

class child_process {
 public:
  child_process() = default;
  // Starts `argv[0]` (looked up in PATH) with stdout and stderr appended to `log_file`.
  // `new_session` detaches it from the caller's process group (for servers outliving a CLI).
  // Throws std::runtime_error when the program cannot be started.
  child_process(const std::vector<std::string>& argv, const std::string& log_file,
                bool new_session = false);
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  // Kills the process if it still runs.
  ~child_process();

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then SIGKILL after `grace`. Returns the exit status (or -signal).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds{30});
  // SIGKILL, then reap.
  void kill();
  // Waits for exit; returns the exit status (or -signal).
  int wait();
  // Forgets the process without stopping it.
  void release() { pid_ = -1; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

struct command_result {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs a program to completion (no shell) and captures stdout and stderr.
command_result run_command(const std::vector<std::string>& argv);

// Runs a program to completion with stdout going to `out_file`; returns the exit code and
// stderr (in `err`).
int run_command_to_file(const std::vector<std::string>& argv, const std::string& out_file,
                        std::string& err);

// Sends `signal` to the process group of `pid` if it is alive; true if it was.
bool signal_process(pid_t pid, int signal);

// A TCP port on 127.0.0.1 that nothing listens on right now and that no other test process
// (tests run side by side) has been given; it stays reserved to this process until it exits.
int free_port();

// A fresh directory under $TMPDIR (or /tmp) named prefix-XXXXXX.
std::string make_temp_dir(const std::string& prefix);

// Removes a directory tree, ignoring errors.
void remove_tree(const std::string& path);

// The directory of the running test binary's build tree root (where app/dm-worker lives), from
// $DM_BUILD_DIR or found relative to the test binary.
std::string build_dir();

}  // namespace dm::test
