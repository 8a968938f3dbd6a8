// A throwaway etcd cluster for tests, on loopback or one member per host (host_network): etcd
// processes (Debian's etcd-server) with their own temp data dirs and free ports, fast elections
// (100 ms heartbeat, 1 s election timeout). Members can be killed and started again.
#pragma once

#include <string>
#include <vector>

#include "test/support/process.hpp"

namespace dm::test {

// Client TLS of the members (PEM files): their certificate and key, and the CA whose
// certificates they ask clients for (--client-cert-auth). Empty: plain HTTP.
struct etcd_member_tls {
  std::string cert;
  std::string key;
  std::string client_ca;
};

// Where a member runs: the address it listens on (clients and peers), and the words that start
// it there (see host_network::launcher; empty: this namespace).
struct etcd_member_host {
  std::string address;
  std::vector<std::string> launcher;
};

class etcd_cluster {
 public:
  // Starts every member, listening on `host`, and waits until the cluster has a leader; throws
  // if it does not.
  explicit etcd_cluster(int members = 3, const std::string& host = "127.0.0.1",
                        etcd_member_tls tls = {});
  // One member on each of `hosts`.
  explicit etcd_cluster(std::vector<etcd_member_host> hosts, etcd_member_tls tls = {});
  ~etcd_cluster();

  // The client endpoints, "HOST:P1,HOST:P2,..." ("https://HOST:P1,..." with TLS).
  std::string endpoints() const;
  int size() const { return static_cast<int>(client_ports_.size()); }
  // SIGKILL of member `i`; start brings it back with its data.
  void kill(int i);
  void start(int i);
  // The index of the member that leads now (asked of the live members); throws when none
  // knows within 30 s.
  int leader();
  // Turns on etcd's user/role auth as an operator would (etcdctl role add, grant-permission,
  // user add, grant-role, auth enable): a root user, and `user` with `password` whose role may
  // read and write only the keys under `prefix`. Throws when etcd refuses a step.
  void enable_auth(const std::string& user, const std::string& password,
                   const std::string& prefix);

 private:
  std::string peer_url(int i) const {
    return "http://" + hosts_[i].address + ":" + std::to_string(peer_ports_[i]);
  }
  std::string client_url(int i) const {
    return (tls_.cert.empty() ? "http://" : "https://") + hosts_[i].address + ":" +
           std::to_string(client_ports_[i]);
  }
  // POSTs `body` to `path` of member `i` with curl; the answer, "" when none.
  std::string post(int i, const std::string& path, const std::string& body) const;

  std::string dir_;
  std::vector<etcd_member_host> hosts_;
  etcd_member_tls tls_;
  std::vector<int> client_ports_;
  std::vector<int> peer_ports_;
  std::vector<child_process> members_;
};

}  // namespace dm::test
