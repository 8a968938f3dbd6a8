// Hosts on one machine for tests: each host is a network namespace, each network a bridge, and
// a host has a link (veth pair) to each network it is on. The test process's own namespace sits
// on every network at .254: it is the operator's host (dmctl, the test's own connections).
// Network i of the list uses 10.(231+i).N.0/24, N the first from pid % 250 on that no address
// here uses yet; names carry this process's pid, so that parallel runs do not collide. Needs
// root (ip netns); everything is removed on destruction (and when construction fails).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dm::test {

class host_network {
 public:
  // `networks`: their names, e.g. {"control", "data"}; throws when a bridge cannot be made.
  explicit host_network(const std::vector<std::string>& networks);
  ~host_network();
  host_network(const host_network&) = delete;
  host_network& operator=(const host_network&) = delete;

  // Adds host `name` with a link to each of `networks`; it gets the next address (.1, .2, ...)
  // on each of them. Throws when `ip` fails.
  void add_host(const std::string& name, const std::vector<std::string>& networks);
  // The host's address on `network`.
  const std::string& address(const std::string& host, const std::string& network) const;
  // This (the operator's) namespace's address on `network`.
  const std::string& gateway(const std::string& network) const;
  // Words that run a command on the host (`ip netns exec NS`, which keeps the command's pid).
  std::vector<std::string> launcher(const std::string& host) const;
  // Takes the host's link to `network` down or up; its processes keep running, cut off.
  void set_link(const std::string& host, const std::string& network, bool up);

 private:
  struct network {
    std::string bridge, subnet, gateway;
    int hosts = 0;
  };
  struct link {
    std::string veth, address;
  };
  struct host {
    std::string ns;
    std::map<std::string, link> links;
  };
  void remove_all();
  std::string id_;
  std::map<std::string, network> networks_;
  std::vector<std::string> network_order_;
  std::map<std::string, host> hosts_;
};

}  // namespace dm::test
