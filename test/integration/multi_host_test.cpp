// Several hosts on one machine: network namespaces joined by a bridge stand for the upstream
// host (two MariaDB servers), two worker hosts, the downstream host and the operator's host
// running dmctl. Each upstream server is a source bound to a different worker; one task
// replicates both into the one downstream. A worker whose link goes down shows as offline in
// list-member and catches up once the link is back.
#define BOOST_TEST_MODULE multi_host
#include <boost/test/unit_test.hpp>

#include <thread>

#include <unistd.h>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

void ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  if (r.exit_code != 0) throw std::runtime_error("ip " + args[0] + " failed: " + r.err);
}

// A bridge in this namespace (10.231.N.254) and one namespace per host, each with a veth into
// the bridge and the address 10.231.N.<index>; all removed on destruction. N and the names
// carry this process's pid, so that parallel runs do not collide.
class network {
 public:
  explicit network(const std::vector<std::string>& hosts) {
    auto id = std::to_string(getpid() % 100000);
    subnet_ = "10.231." + std::to_string(getpid() % 250) + ".";
    bridge_ = "dmbr" + id;
    ip({"link", "add", bridge_, "type", "bridge"});
    ip({"addr", "add", subnet_ + "254/24", "dev", bridge_});
    ip({"link", "set", bridge_, "up"});
    for (size_t i = 0; i < hosts.size(); ++i) {
      host h{"dm-" + hosts[i] + "-" + id, "dmv" + std::to_string(i) + "x" + id,
             subnet_ + std::to_string(i + 1)};
      ip({"netns", "add", h.ns});
      ip({"link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.ns});
      ip({"link", "set", h.veth, "master", bridge_, "up"});
      ip({"-n", h.ns, "addr", "add", h.address + "/24", "dev", "eth0"});
      ip({"-n", h.ns, "link", "set", "eth0", "up"});
      ip({"-n", h.ns, "link", "set", "lo", "up"});
      hosts_[hosts[i]] = h;
    }
  }
  ~network() {
    for (auto& [name, h] : hosts_) {
      run_command({"ip", "link", "del", h.veth});
      run_command({"ip", "netns", "del", h.ns});
    }
    run_command({"ip", "link", "del", bridge_});
  }

  const std::string& address(const std::string& host) const { return hosts_.at(host).address; }
  std::vector<std::string> launcher(const std::string& host) const {
    return {"ip", "netns", "exec", hosts_.at(host).ns};
  }
  // Takes the host's link down or up (its processes keep running, cut off).
  void set_link(const std::string& host, bool up) {
    ip({"link", "set", hosts_.at(host).veth, up ? "up" : "down"});
  }

 private:
  struct host {
    std::string ns, veth, address;
  };
  std::string subnet_;
  std::string bridge_;
  std::map<std::string, host> hosts_;
};

sandbox_options server_on(const network& net, const std::string& host, uint32_t id) {
  auto o = sandbox_options::with_server_id(id);
  o.host = net.address(host);
  o.launcher = net.launcher(host);
  return o;
}

worker_options worker_on(const network& net, const std::string& host, const std::string& name) {
  worker_options o;
  o.name = name;
  o.host = net.address(host);
  o.launcher = net.launcher(host);
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_workers_on_two_hosts_feed_one_downstream_and_survive_a_cut_link) {
  auto begin = std::chrono::steady_clock::now();
  auto note = [&](const std::string& what) {
    BOOST_TEST_MESSAGE(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - begin).count()
                       << " s: " << what);
  };
  network net{{"upstream", "worker1", "worker2", "downstream", "operator"}};
  mariadb_sandbox alpha{server_on(net, "upstream", 1)};
  mariadb_sandbox beta{server_on(net, "upstream", 3)};
  mariadb_sandbox downstream{server_on(net, "downstream", 2)};
  worker_process w1{worker_on(net, "worker1", "w1")};
  worker_process w2{worker_on(net, "worker2", "w2")};
  // dmctl on the operator's host, talking to both workers.
  auto dmctl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = net.launcher("operator");
    argv.insert(argv.end(), {binary_path("dmctl"), "--worker-addr", w1.addr() + "," + w2.addr()});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };
  auto bind = [&](worker_process& w, const std::string& id, const mariadb_sandbox& server) {
    auto created = run_command(
        [&] {
          auto argv = net.launcher("operator");
          argv.insert(argv.end(), {binary_path("dmctl"), "--worker-addr", w.addr(),
                                   "operate-source", "create",
                                   w.write_file(id + ".yaml", source_yaml(id, server))});
          return argv;
        }());
    BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  };
  bind(w1, "alpha", alpha);
  bind(w2, "beta", beta);
  auto started = dmctl({"start-task", w1.write_file("t.yaml", task_yaml("two", {"alpha", "beta"},
                                                                        downstream))});
  BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);
  alpha.execute("CREATE DATABASE a; CREATE TABLE a.t (id INT PRIMARY KEY, v VARCHAR(40))");
  beta.execute("CREATE DATABASE b; CREATE TABLE b.t (id INT PRIMARY KEY, v VARCHAR(40))");
  auto write = [](const mariadb_sandbox& s, const std::string& db, int from, int to) {
    for (int i = from; i < to; ++i)
      s.execute("INSERT INTO " + db + ".t VALUES (" + std::to_string(i) + ", 'row " +
                std::to_string(i) + "')");
  };
  write(alpha, "a", 0, 50);
  write(beta, "b", 0, 50);
  wait_synced(w1, "two", alpha, std::chrono::seconds{120}, "alpha");
  wait_synced(w2, "two", beta, std::chrono::seconds{120}, "beta");
  note("both sources synced");

  auto members = nlohmann::json::parse(dmctl({"--json", "list-member"}).out);
  BOOST_TEST_MESSAGE(members.dump());
  BOOST_REQUIRE_EQUAL(members["members"].size(), 2u);
  for (auto& m : members["members"]) BOOST_CHECK_EQUAL(m["state"], "online");
  // query-status from the operator's host merges the task's parts on both workers.
  auto status = nlohmann::json::parse(dmctl({"--json", "query-status", "two"}).out);
  BOOST_CHECK_EQUAL(status["tasks"][0]["sources"].size(), 2u);

  // Worker 2's host is cut off: it shows offline; worker 1 carries on.
  net.set_link("worker2", false);
  note("worker 2 cut off");
  auto cut = dmctl({"--json", "list-member"});
  auto cut_members = nlohmann::json::parse(cut.out);
  BOOST_TEST_MESSAGE(cut_members.dump());
  std::map<std::string, std::string> state;
  for (auto& m : cut_members["members"])
    state[m["addr"].get<std::string>()] = m["state"].get<std::string>();
  BOOST_CHECK_EQUAL(state[w1.addr()], "online");
  BOOST_CHECK_EQUAL(state[w2.addr()], "offline");
  write(alpha, "a", 50, 100);
  write(beta, "b", 50, 100);
  wait_synced(w1, "two", alpha, std::chrono::seconds{120}, "alpha");
  std::this_thread::sleep_for(std::chrono::seconds{5});

  // The link returns: worker 2 catches up with what beta wrote meanwhile.
  net.set_link("worker2", true);
  note("worker 2 back");
  wait_synced(w2, "two", beta, std::chrono::seconds{180}, "beta");
  note("worker 2 caught up");
  auto back = nlohmann::json::parse(dmctl({"--json", "list-member"}).out);
  for (auto& m : back["members"]) BOOST_CHECK_EQUAL(m["state"], "online");
  for (auto [server, db] : {std::pair{&alpha, "a"}, {&beta, "b"}}) {
    auto diff = compare_database(*server, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
}
