#include "app/dmctl/reachability.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace dm::dmctl {

namespace {

// One non-blocking connect attempt; "" on success.
std::string try_connect(const addrinfo& a, std::chrono::milliseconds timeout) {
  int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
  if (fd < 0) return std::strerror(errno);
  std::unique_ptr<int, void (*)(int*)> closer{&fd, [](int* f) { ::close(*f); }};
  if (::connect(fd, a.ai_addr, a.ai_addrlen) == 0) return "";
  if (errno != EINPROGRESS) return std::strerror(errno);
  pollfd p{fd, POLLOUT, 0};
  int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready == 0)
    return "no answer within " + std::to_string(timeout.count() / 1000) + " s";
  if (ready < 0) return std::strerror(errno);
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  return error == 0 ? "" : std::strerror(error);
}

}  // namespace

std::string probe_tcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found))
    return ::gai_strerror(rc);
  std::string why = "no address";
  for (auto* a = found; a; a = a->ai_next)
    if ((why = try_connect(*a, timeout)).empty()) break;
  ::freeaddrinfo(found);
  return why;
}

}  // namespace dm::dmctl
