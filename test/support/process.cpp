#include "test/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace dm::test {

namespace {

std::vector<char*> to_argv(const std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

std::string slurp(const std::string& path) {
  std::ifstream in{path};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

child_process::child_process(const std::vector<std::string>& argv, const std::string& log_file,
                             bool new_session) {
  auto args = to_argv(argv);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed: " + std::string{std::strerror(errno)});
  if (pid_ == 0) {
    if (new_session) ::setsid();
    else ::setpgid(0, 0);
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot start %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
}

child_process::child_process(child_process&& other) noexcept
    : pid_(other.pid_), status_(other.status_), reaped_(other.reaped_) {
  other.pid_ = -1;
}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !reaped_) kill();
    pid_ = other.pid_;
    status_ = other.status_;
    reaped_ = other.reaped_;
    other.pid_ = -1;
  }
  return *this;
}

child_process::~child_process() {
  if (pid_ > 0 && !reaped_) kill();
}

bool child_process::running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  auto r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return r == 0;
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return 0;
  if (!running()) return decode_status(status_);
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return decode_status(status_);
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  kill();
  return decode_status(status_);
}

void child_process::kill() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(pid_, SIGKILL);
  wait();
}

int child_process::wait() {
  if (pid_ <= 0) return 0;
  if (!reaped_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
    reaped_ = true;
  }
  return decode_status(status_);
}

command_result run_command(const std::vector<std::string>& argv) {
  auto dir = make_temp_dir("dm-cmd");
  auto out_file = dir + "/out", err_file = dir + "/err";
  auto args = to_argv(argv);
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot start %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  command_result r;
  r.exit_code = decode_status(status);
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  remove_tree(dir);
  return r;
}

int run_command_to_file(const std::vector<std::string>& argv, const std::string& out_file,
                        std::string& err) {
  auto dir = make_temp_dir("dm-cmd");
  auto err_file = dir + "/err";
  auto args = to_argv(argv);
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(e, 2);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot start %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  err = slurp(err_file);
  remove_tree(dir);
  return decode_status(status);
}

bool signal_process(pid_t pid, int signal) { return pid > 0 && ::kill(pid, signal) == 0; }

namespace {

// A port this process has not handed out, that no other test process holds, and that the
// kernel just gave as free. Each port handed out stays claimed, by an flock on a file named
// after it, until this process exits: a test that stops a server and starts it again on the
// same port keeps it meanwhile, since tests run side by side.
int claim_kernel_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

int free_port() {
  static const std::string claims = [] {
    auto dir = std::filesystem::temp_directory_path() / "dm-test-ports";
    std::filesystem::create_directories(dir);
    return dir.string();
  }();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = claim_kernel_port();
    auto path = claims + "/" + std::to_string(port);
    int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create the port claim " + path + ": " + std::strerror(errno));
    // The lock is held by this open file for the life of the process (fd deliberately kept).
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return port;
    ::close(fd);
  }
  throw std::runtime_error("no free loopback port after 1000 tries");
}

std::string make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string{base && *base ? base : "/tmp"} + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  return buf.data();
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string build_dir() {
  if (const char* env = std::getenv("DM_BUILD_DIR"); env && *env) return env;
  // Test binaries live in BUILD/test/...; walk up until app/dm-worker appears.
  auto p = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  for (int i = 0; i < 4 && !p.empty(); ++i, p = p.parent_path())
    if (std::filesystem::exists(p / "app" / "dm-worker")) return p.string();
  throw std::runtime_error("cannot find the build directory; set DM_BUILD_DIR");
}

}  // namespace dm::test
