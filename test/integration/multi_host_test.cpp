// Several hosts on one machine: network namespaces joined by a bridge stand for the upstream
// host (two MariaDB servers), two worker hosts, the downstream host and the operator's host
// running dmctl. Each upstream server is a source bound to a different worker; one task
// replicates both into the one downstream. A worker whose link goes down shows as offline in
// list-member and catches up once the link is back.
#define BOOST_TEST_MODULE multi_host
#include <boost/test/unit_test.hpp>

#include <thread>

#include "test/support/harness.hpp"
#include "test/support/host_network.hpp"

using namespace dm::test;

namespace {

// Adds `hosts`, each with a link to the one network, "lan".
void add_hosts(host_network& net, const std::vector<std::string>& hosts) {
  for (auto& h : hosts) net.add_host(h, {"lan"});
}

sandbox_options server_on(const host_network& net, const std::string& host, uint32_t id) {
  auto o = sandbox_options::with_server_id(id);
  o.host = net.address(host, "lan");
  o.launcher = net.launcher(host);
  return o;
}

worker_options worker_on(const host_network& net, const std::string& host,
                         const std::string& name) {
  worker_options o;
  o.name = name;
  o.host = net.address(host, "lan");
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
  host_network net{{"lan"}};
  add_hosts(net, {"upstream", "worker1", "worker2", "downstream", "operator"});
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
  net.set_link("worker2", "lan", false);
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
  net.set_link("worker2", "lan", true);
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
