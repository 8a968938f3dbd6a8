#include "test/support/etcd_cluster.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "protocol/base64.hpp"

namespace dm::test {

std::string etcd_cluster::post(int i, const std::string& path, const std::string& body) const {
  std::vector<std::string> argv{"curl", "-sS", "--max-time", "2", "-X", "POST",
                                client_url(i) + path, "-d", body};
  if (!tls_.cert.empty())
    argv.insert(argv.end(), {"--cacert", tls_.client_ca, "--cert", tls_.cert, "--key", tls_.key});
  auto r = run_command(argv);
  return r.exit_code == 0 ? r.out : std::string{};
}

etcd_cluster::etcd_cluster(int members, const std::string& host, etcd_member_tls tls)
    : etcd_cluster(std::vector<etcd_member_host>(members, etcd_member_host{host, {}}),
                   std::move(tls)) {}

etcd_cluster::etcd_cluster(std::vector<etcd_member_host> hosts, etcd_member_tls tls)
    : hosts_(std::move(hosts)), tls_(std::move(tls)) {
  dir_ = make_temp_dir("dm-etcd");
  for (size_t i = 0; i < hosts_.size(); ++i) {
    client_ports_.push_back(free_port());
    peer_ports_.push_back(free_port());
  }
  members_.resize(hosts_.size());
  for (int i = 0; i < size(); ++i) start(i);
  leader();
}

etcd_cluster::~etcd_cluster() {
  for (auto& m : members_)
    if (m.pid() > 0) m.kill();
  remove_tree(dir_);
}

std::string etcd_cluster::endpoints() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    auto url = client_url(i);
    if (tls_.cert.empty()) url.erase(0, 7);  // plain endpoints as HOST:PORT
    out += (out.empty() ? "" : ",") + url;
  }
  return out;
}

void etcd_cluster::kill(int i) { members_.at(i).kill(); }

void etcd_cluster::start(int i) {
  std::string initial;
  for (size_t j = 0; j < peer_ports_.size(); ++j)
    initial += (j ? "," : "") + std::string{"n"} + std::to_string(j) + "=" + peer_url(j);
  auto name = "n" + std::to_string(i);
  auto argv = hosts_[i].launcher;
  argv.insert(argv.end(),
              {"etcd", "--name", name, "--data-dir", dir_ + "/" + name, "--listen-client-urls",
               client_url(i), "--advertise-client-urls", client_url(i), "--listen-peer-urls",
               peer_url(i), "--initial-advertise-peer-urls", peer_url(i), "--initial-cluster",
               initial, "--initial-cluster-state", "new", "--heartbeat-interval", "100",
               "--election-timeout", "1000", "--log-level", "warn"});
  if (!tls_.cert.empty())
    argv.insert(argv.end(), {"--cert-file", tls_.cert, "--key-file", tls_.key,
                             "--trusted-ca-file", tls_.client_ca, "--client-cert-auth"});
  members_.at(i) = child_process{argv, dir_ + "/" + name + ".log", true};
}

void etcd_cluster::enable_auth(const std::string& user, const std::string& password,
                               const std::string& prefix) {
  auto prefix_end = prefix;
  ++prefix_end.back();
  using nlohmann::json;
  const json steps[][2] = {
      {"/v3/auth/role/add", {{"name", "root"}}},
      {"/v3/auth/user/add", {{"name", "root"}, {"password", "root-" + dir_}}},
      {"/v3/auth/user/grant", {{"user", "root"}, {"role", "root"}}},
      {"/v3/auth/role/add", {{"name", user + "-role"}}},
      {"/v3/auth/role/grant",
       {{"name", user + "-role"},
        {"perm",
         {{"permType", "READWRITE"}, {"key", base64(prefix)}, {"range_end", base64(prefix_end)}}}}},
      {"/v3/auth/user/add", {{"name", user}, {"password", password}}},
      {"/v3/auth/user/grant", {{"user", user}, {"role", user + "-role"}}},
      {"/v3/auth/enable", json::object()},
  };
  auto member = leader();
  for (auto& [path, body] : steps) {
    auto answer = post(member, path.get<std::string>(), body.dump());
    if (answer.find("\"header\"") == std::string::npos)
      throw std::runtime_error("etcd refused " + path.get<std::string>() + ": " + answer);
  }
}

int etcd_cluster::leader() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < size(); ++i) {
      if (!members_[i].running()) continue;
      auto answer = nlohmann::json::parse(post(i, "/v3/maintenance/status", "{}"),
                                          nullptr, false);
      if (answer.is_discarded() || !answer.contains("leader")) continue;
      auto leader = answer["leader"].get<std::string>();
      // Ask every live member which id it has; the one whose id is the leader's leads.
      for (int j = 0; j < size(); ++j) {
        if (!members_[j].running()) continue;
        auto own = nlohmann::json::parse(post(j, "/v3/maintenance/status", "{}"),
                                         nullptr, false);
        if (!own.is_discarded() && own.contains("header") &&
            own["header"].value("member_id", "") == leader)
          return j;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  throw std::runtime_error("the etcd cluster in " + dir_ + " has no leader after 30 s");
}

}  // namespace dm::test
