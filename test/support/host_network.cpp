#include "test/support/host_network.hpp"

#include <unistd.h>

#include <stdexcept>

#include "test/support/process.hpp"

namespace dm::test {

namespace {

void ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  if (r.exit_code != 0)
    throw std::runtime_error("ip " + args.at(0) + " " + args.at(1) + " failed: " + r.err);
}

// Whether an address of this namespace lies in `subnet` (a.b.c.0/24).
bool subnet_in_use(const std::string& subnet) {
  return !run_command({"ip", "-o", "addr", "show", "to", subnet}).out.empty();
}

}  // namespace

host_network::host_network(const std::vector<std::string>& networks) {
  id_ = std::to_string(getpid() % 100000);
  // A third octet no other run (or leftover) uses on any of the networks, from the pid on.
  int third = getpid() % 250;
  auto subnet = [&](size_t i) {
    return "10." + std::to_string(231 + i) + "." + std::to_string(third) + ".";
  };
  for (int tried = 0; tried < 250; ++tried, third = (third + 1) % 250) {
    bool free = true;
    for (size_t i = 0; i < networks.size() && free; ++i) free = !subnet_in_use(subnet(i) + "0/24");
    if (free) break;
  }
  try {
    for (size_t i = 0; i < networks.size(); ++i) {
      network n;
      n.bridge = "dmbr" + std::to_string(i) + "x" + id_;
      n.subnet = subnet(i);
      n.gateway = n.subnet + "254";
      ip({"link", "add", n.bridge, "type", "bridge"});
      network_order_.push_back(networks[i]);
      networks_[networks[i]] = n;
      ip({"addr", "add", n.gateway + "/24", "dev", n.bridge});
      ip({"link", "set", n.bridge, "up"});
    }
  } catch (...) {
    remove_all();
    throw;
  }
}

host_network::~host_network() { remove_all(); }

void host_network::remove_all() {
  for (auto& [name, h] : hosts_) {
    for (auto& [network, l] : h.links) run_command({"ip", "link", "del", l.veth});
    run_command({"ip", "netns", "del", h.ns});
  }
  hosts_.clear();
  for (auto& [name, n] : networks_) run_command({"ip", "link", "del", n.bridge});
  networks_.clear();
}

void host_network::add_host(const std::string& name, const std::vector<std::string>& networks) {
  host h;
  h.ns = "dm-" + name + "-" + id_;
  auto index = std::to_string(hosts_.size());
  ip({"netns", "add", h.ns});
  hosts_[name] = h;
  auto& added = hosts_[name];
  ip({"-n", added.ns, "link", "set", "lo", "up"});
  for (auto& network_name : networks) {
    auto& n = networks_.at(network_name);
    size_t position = 0;
    while (network_order_[position] != network_name) ++position;
    link l;
    l.veth = "dm" + std::to_string(position) + "h" + index + "x" + id_;
    l.address = n.subnet + std::to_string(++n.hosts);
    auto inside = "eth" + std::to_string(position);
    ip({"link", "add", l.veth, "type", "veth", "peer", "name", inside, "netns", added.ns});
    added.links[network_name] = l;
    ip({"link", "set", l.veth, "master", n.bridge, "up"});
    ip({"-n", added.ns, "addr", "add", l.address + "/24", "dev", inside});
    ip({"-n", added.ns, "link", "set", inside, "up"});
  }
}

const std::string& host_network::address(const std::string& host,
                                         const std::string& network) const {
  return hosts_.at(host).links.at(network).address;
}

const std::string& host_network::gateway(const std::string& network) const {
  return networks_.at(network).gateway;
}

std::vector<std::string> host_network::launcher(const std::string& host) const {
  return {"ip", "netns", "exec", hosts_.at(host).ns};
}

void host_network::set_link(const std::string& host, const std::string& network, bool up) {
  ip({"link", "set", hosts_.at(host).links.at(network).veth, up ? "up" : "down"});
}

}  // namespace dm::test
