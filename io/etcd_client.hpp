// A blocking client of etcd v3 (3.4 and later) through its JSON gateway (/v3/...): the key-value
// calls, transactions and leases the cluster needs. Keys and values are plain strings here; the
// gateway's base64 is handled inside.
//
// Endpoints are tried in turn: a call goes to the endpoint that last answered and moves to the
// next on a connection failure, so one dead member of the etcd cluster costs one timeout. Every
// call is bounded by `call_timeout` per endpoint tried. Reads are linearizable (etcd's default).
//
// Thread-safety: one client per thread (it keeps the last endpoint that answered).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace dm {

struct etcd_kv {
  std::string key;
  std::string value;
  // Revision of the key's creation (0: the key does not exist); changes when the key is
  // deleted and created again, so it names one life of the key.
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  // The lease the key is attached to, 0 for none.
  int64_t lease = 0;
};

// TLS towards etcd (endpoints named https://): the CA that signed etcd's server certificate, and
// the client certificate and key etcd asks for with --client-cert-auth (PEM files; the two may
// be empty when etcd asks for none).
struct etcd_tls {
  std::string ca;
  std::string cert;
  std::string key;
};

// etcd's user/role auth: the user the client authenticates as (empty: etcd's auth is off). The
// client fetches a token on its first call and again when etcd no longer takes it (tokens end
// after etcd's --auth-token-ttl idle, when the member that knew them restarts, and when users
// or roles change). While etcd's auth is off the client calls without a token, and logs in
// once etcd asks for one, so the login can be set before auth is turned on.
struct etcd_login {
  std::string user;
  std::string password;
};

class etcd_client {
 public:
  // `endpoints`: "host:port,host:port", each with an optional http:// or https:// (TLS, which
  // needs `tls.ca`).
  static caf::expected<etcd_client> make(const std::string& endpoints,
                                         std::chrono::milliseconds call_timeout =
                                             std::chrono::milliseconds{1500},
                                         etcd_tls tls = {}, etcd_login login = {});

  // The key, or nullopt when absent.
  caf::expected<std::optional<etcd_kv>> get(const std::string& key);
  // Every key starting with `prefix`, in key order.
  caf::expected<std::vector<etcd_kv>> get_prefix(const std::string& prefix);
  // Writes the key, attached to `lease` unless 0.
  caf::error put(const std::string& key, const std::string& value, int64_t lease = 0);
  caf::error erase(const std::string& key);

  // Transactions: true when the comparison held and the write was done.
  // Creates the key only if it does not exist.
  caf::expected<bool> create(const std::string& key, const std::string& value, int64_t lease = 0);
  // Deletes the key only if it holds `value` (and, unless `lease` is 0, is attached to `lease`).
  caf::expected<bool> erase_if_held(const std::string& key, const std::string& value,
                                    int64_t lease = 0);
  // Writes `key` only if `guard` exists with the create revision `guard_revision` (a leader's
  // election key: its writes stop counting once another life of that key exists).
  caf::expected<bool> put_if_created(const std::string& guard, int64_t guard_revision,
                                     const std::string& key, const std::string& value);
  // Writes `key` only if `guard` has the create revision `guard_revision` and `key` was last
  // written at `mod_revision` (0: `key` does not exist): a read-modify-write of `key`.
  caf::expected<bool> put_if_unchanged(const std::string& guard, int64_t guard_revision,
                                       const std::string& key, int64_t mod_revision,
                                       const std::string& value);
  // Deletes `key` only if `guard` has the create revision `guard_revision`.
  caf::expected<bool> erase_if_created(const std::string& guard, int64_t guard_revision,
                                       const std::string& key);

  // Leases. grant returns the lease ID; keepalive the seconds left (0 or less: it expired).
  caf::expected<int64_t> grant(int64_t ttl_seconds);
  caf::expected<int64_t> keepalive(int64_t lease);
  caf::error revoke(int64_t lease);

  // etcd's version answer (GET /version) from the first endpoint that answers over HTTP: tells
  // etcd endpoints from other servers without touching the cluster's data.
  caf::expected<std::string> version();

  // "host:port,..." as given, for messages.
  const std::string& endpoints_text() const { return text_; }

 private:
  struct endpoint {
    std::string host;
    int port = 0;
    bool https = false;
  };
  // POSTs `body` (JSON) to `path` (GETs it when `body` is empty) and puts the answer's text
  // into `answer`; with a login, under a token, fetched again once if etcd refused it.
  caf::error call(const std::string& path, const std::string& body, std::string& answer);
  // One try of `call` over the endpoints; `refused_token` is set when etcd answered that it
  // does not know the token sent.
  caf::error call_once(const std::string& path, const std::string& body, std::string& answer,
                       bool& refused_token);
  // Fetches a token for `login_` into `token_`.
  caf::error authenticate();

  std::vector<endpoint> endpoints_;
  size_t current_ = 0;
  std::chrono::milliseconds timeout_{1500};
  etcd_tls tls_;
  etcd_login login_;
  std::string token_;
  // etcd answered that its auth is off: calls carry no token until it asks for one.
  bool auth_off_ = false;
  std::string text_;
};

}  // namespace dm
