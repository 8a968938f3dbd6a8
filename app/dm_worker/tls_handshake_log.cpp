// Logs every TLS connection the worker's admin endpoint refuses during the handshake: a dmctl
// (or anything else) with a certificate the worker's ssl-ca did not sign, without a
// certificate, with a common name cert-allowed-cn does not list, or speaking plain TCP. One
// warning line names the peer and the reason (at most one per peer host and reason every 10 s).
//
// How: CAF 0.17's openssl module (caf::openssl::session) runs the handshake with SSL_accept and
// offers no callback when it fails, and Debian's CAF build compiles its own logging out. This
// file defines SSL_accept in the dm-worker executable; the dynamic linker looks symbols up in
// the executable first, so libcaf_openssl's call lands here. It calls OpenSSL's SSL_accept
// (the next definition, from libssl), and when the handshake failed for good it logs, leaving
// the result and OpenSSL's error queue exactly as they were for CAF. dm-worker is the only
// program that accepts TLS connections (its MariaDB connections are clients). The same way,
// SSL_CTX_set_verify gives contexts that verify peers without a callback of their own the
// callback that enforces cert-allowed-cn on server sides.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "app/dm_worker/tls_handshake_log.hpp"
#include "common/log.hpp"

namespace {

// DM's cert-allowed-cn; written once before any handshake, read by the handshakes.
std::vector<std::string>& allowed_client_names() {
  static std::vector<std::string> names;
  return names;
}

// The common name of `cert` ("" when it has none).
std::string common_name(X509* cert) {
  char name[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name,
                                    sizeof name);
  return n > 0 ? std::string(name, static_cast<size_t>(n)) : std::string{};
}

// OpenSSL's verification callback: a client certificate whose chain verified is refused when
// cert-allowed-cn is set and does not list its common name. The refusal reads "certificate
// verify failed (application verification failure)" in the handshake log.
int verify_allowed_name(int verified, X509_STORE_CTX* store) {
  const auto& allowed = allowed_client_names();
  if (!verified || allowed.empty() || X509_STORE_CTX_get_error_depth(store) != 0) return verified;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr || !SSL_is_server(ssl)) return verified;
  auto name = common_name(X509_STORE_CTX_get_current_cert(store));
  if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) return verified;
  DM_WARN("admin endpoint refused a client certificate: its common name '{}' is not in "
          "cert-allowed-cn", name);
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

using ssl_accept_fn = int (*)(SSL*);

struct peer {
  std::string host = "an unknown peer";
  uint16_t port = 0;
};

peer peer_of(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  peer out;
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return out;
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    out.port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    out.port = ntohs(in6->sin6_port);
  }
  out.host = host;
  return out;
}

// At most one line per peer host and reason per window, so that a peer retrying in a loop
// cannot flood the log; the next such line says how many were left out.
class refusal_log {
 public:
  void refused(const peer& from, const std::string& reason) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> guard{mutex_};
    auto& entry = hosts_[from.host + " " + reason];
    if (entry.logged_at.time_since_epoch().count() != 0 && now - entry.logged_at < window) {
      ++entry.suppressed;
      return;
    }
    std::string earlier;
    if (entry.suppressed > 0)
      earlier = " (and " + std::to_string(entry.suppressed) + " more alike from " + from.host +
                " not logged)";
    DM_WARN("admin endpoint refused a TLS connection from {}:{}: {}; a dmctl needs --ssl-ca, "
            "--ssl-cert and --ssl-key with a certificate signed by the worker's ssl-ca{}",
            from.host, from.port, reason, earlier);
    entry = {now, 0};
    if (hosts_.size() > max_hosts) hosts_.clear();  // bounded memory under a scan
  }

 private:
  static constexpr std::chrono::seconds window{10};
  static constexpr size_t max_hosts = 10000;
  struct host_state {
    std::chrono::steady_clock::time_point logged_at;
    uint64_t suppressed = 0;
  };
  std::mutex mutex_;
  // By "host reason".
  std::map<std::string, host_state> hosts_;
};

// OpenSSL's reason for the failure, read without taking it off the error queue.
std::string reason_of(SSL* ssl) {
  std::string reason;
  if (auto code = ERR_peek_last_error(); code != 0) {
    const char* text = ERR_reason_error_string(code);
    reason = text ? text : "TLS error " + std::to_string(ERR_GET_REASON(code));
  } else {
    reason = "TLS protocol error";
  }
  if (auto verify = SSL_get_verify_result(ssl); verify != X509_V_OK)
    reason += std::string{" ("} + X509_verify_cert_error_string(verify) + ")";
  return reason;
}

// The peer closed the connection before the handshake finished (OpenSSL 3 reports that as a
// protocol error).
bool closed_early() {
  return ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

}  // namespace

extern "C" int SSL_accept(SSL* ssl) {
  static const auto openssl_accept =
      reinterpret_cast<ssl_accept_fn>(dlsym(RTLD_NEXT, "SSL_accept"));
  if (openssl_accept == nullptr) return -1;  // no libssl loaded: nothing can be accepted
  int result = openssl_accept(ssl);
  static refusal_log log;
  // Waiting for more bytes is no failure; a peer closing before or during the handshake (a
  // reachability probe) is not worth a line; a protocol or certificate failure is.
  if (result <= 0 && SSL_get_error(ssl, result) == SSL_ERROR_SSL && !closed_early())
    log.refused(peer_of(SSL_get_fd(ssl)), reason_of(ssl));
  return result;
}

// Every TLS context that asks peers for certificates without a callback of its own (the admin
// endpoint's, the status port's; the MariaDB client library's, where the callback changes
// nothing) verifies with verify_allowed_name, so that server sides check cert-allowed-cn.
extern "C" void SSL_CTX_set_verify(SSL_CTX* ctx, int mode, SSL_verify_cb callback) {
  using set_verify_fn = void (*)(SSL_CTX*, int, SSL_verify_cb);
  static const auto openssl_set_verify =
      reinterpret_cast<set_verify_fn>(dlsym(RTLD_NEXT, "SSL_CTX_set_verify"));
  if (openssl_set_verify == nullptr) return;
  if (callback == nullptr && (mode & SSL_VERIFY_PEER) != 0) callback = verify_allowed_name;
  openssl_set_verify(ctx, mode, callback);
}

namespace dm::app {

void set_allowed_client_names(std::vector<std::string> names) {
  allowed_client_names() = std::move(names);
}

}  // namespace dm::app
