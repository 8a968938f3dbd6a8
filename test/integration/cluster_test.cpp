// A cluster on etcd (worker.toml join), laid out as hosts in network namespaces: three etcd
// hosts on a control network, three worker hosts on the control and a data network, and a
// database host (both upstreams, the downstream) on the data network; dmctl runs on the
// operator's host, on both. Upstreams are written to all along.
//
// Sources (label `control`) are created through etcd (dmctl --master-addr) and must each run
// on exactly one live worker; they move when their owner is SIGKILLed, frozen (SIGSTOP: its
// lease ends while it cannot act; woken, it must stop the source at once), transferred by hand,
// or when the scheduling worker and an owner die together; etcd losing its leader changes
// nothing (that case runs with etcd's user/role auth on). After each move the new owner's relay
// catches up with its upstream.
//
// Tasks (label `tasks`) started through etcd follow their source under a sysbench + mixed-type
// load in `all` mode: the etcd leader is SIGKILLed (the part stays), then the owner dies
// together with the scheduling worker, then the task is paused and its source transferred to a
// restarted worker (the part stays paused there until resume-task); an owner frozen past its
// lease, and an owner whose host loses only its control link, write no row after the new owner
// raised the fence downstream (counted from the owners' epochs in the checkpoint rows); a
// fence raised under a running owner pauses its part. Every table ends identical.
//
// Faults (label `faults`): the upstream purged the binlog a new owner needs, under the same
// load (the part pauses saying so, and nothing past its checkpoint is applied); one task's
// downstream is down when its source moves (the other task goes on, and it follows once its
// downstream is back); the owner dies in the middle of a full migration's load (the new owner
// refuses the part; the source returns to the loading worker when it is back, and the copy goes
// on there); chaos mixing the faults above at random. meson runs each label as a test.
#define BOOST_TEST_MODULE cluster
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <memory>
#include <set>
#include <thread>

#include <iostream>
#include <regex>

#include "test/support/etcd_cluster.hpp"
#include "test/support/harness.hpp"
#include "test/support/host_network.hpp"
#include "test/support/load_writers.hpp"

using namespace dm::test;
using clock_type = std::chrono::steady_clock;

namespace {

// Long enough that a loaded 2-core machine running other tests beside this one does not miss
// keepalives, short enough to keep the test quick.
constexpr int keepalive_ttl = 6;

// What a worker logs when it fences itself.
constexpr const char* fence_line = "stops all its task parts and sources";

// Inserts rows into t.w of every server until stopped, so relays always have something to read.
class writer {
 public:
  explicit writer(std::vector<mariadb_sandbox*> servers) : servers_(std::move(servers)) {
    for (auto* s : servers_)
      s->execute("CREATE DATABASE IF NOT EXISTS t; CREATE TABLE IF NOT EXISTS t.w "
                 "(id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40))");
    thread_ = std::thread{[this] {
      while (!stop_)
        for (auto* s : servers_) {
          s->execute("INSERT INTO t.w (v) VALUES (REPEAT('x', 30))");
          std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
    }};
  }
  ~writer() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::vector<mariadb_sandbox*> servers_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The etcd user workers and dmctl log in as when a case turns etcd's auth on.
constexpr const char* etcd_user = "dm";
constexpr const char* etcd_password = "dm-etcd-secret";

// The hosts of a cluster: etcd1..3 on the control network, the worker hosts wh1..3 on the
// control and the data network, and the database host db (both upstreams and the downstream)
// on the data network. dmctl and the test itself run on the operator's host, on both.
host_network& with_cluster_hosts(host_network& net) {
  for (int i = 1; i <= 3; ++i) net.add_host("etcd" + std::to_string(i), {"control"});
  for (int i = 1; i <= 3; ++i) net.add_host("wh" + std::to_string(i), {"control", "data"});
  net.add_host("db", {"data"});
  return net;
}

std::vector<etcd_member_host> etcd_hosts(const host_network& net) {
  std::vector<etcd_member_host> hosts;
  for (int i = 1; i <= 3; ++i) {
    auto name = "etcd" + std::to_string(i);
    hosts.push_back({net.address(name, "control"), net.launcher(name)});
  }
  return hosts;
}

sandbox_options on_database_host(const host_network& net, uint32_t server_id) {
  auto o = sandbox_options::with_server_id(server_id);
  o.host = net.address("db", "data");
  o.launcher = net.launcher("db");
  return o;
}

struct cluster_setup {
  host_network net{{"control", "data"}};
  etcd_cluster etcd{etcd_hosts(with_cluster_hosts(net))};
  mariadb_sandbox u1{on_database_host(net, 1)}, u2{on_database_host(net, 2)},
      down{on_database_host(net, 3)};
  std::vector<std::unique_ptr<worker_process>> workers;
  bool etcd_auth = false;

  // `etcd_auth`: etcd's user/role auth is on, and the workers and dmctl log in as a user whose
  // role reaches only the cluster's keys (/dmw/).
  explicit cluster_setup(bool with_etcd_auth = false) : etcd_auth(with_etcd_auth) {
    if (etcd_auth) etcd.enable_auth(etcd_user, etcd_password, "/dmw/");
    for (int i = 1; i <= 3; ++i) {
      worker_options o;
      o.name = "w" + std::to_string(i);
      o.host = net.address(host_of(o.name), "data");
      o.launcher = net.launcher(host_of(o.name));
      o.extra_toml = "join = \"" + etcd.endpoints() + "\"\nkeepalive-ttl = " +
                     std::to_string(keepalive_ttl) + "\n";
      if (etcd_auth)
        o.extra_toml += std::string{"etcd-user = \""} + etcd_user + "\"\netcd-password = \"" +
                        etcd_password + "\"\n";
      workers.push_back(std::make_unique<worker_process>(o));
    }
  }

  // dmctl --master-addr <etcd> --json ARGS; throws with its error when it fails.
  nlohmann::json dmctl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{binary_path("dmctl"), "--master-addr", etcd.endpoints(),
                                  "--json"};
    if (etcd_auth) argv.insert(argv.end(), {"--etcd-user", etcd_user, "--etcd-password",
                                            etcd_password});
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    if (r.exit_code != 0)
      throw std::runtime_error("dmctl " + args.front() + " failed: " + r.out + r.err);
    return nlohmann::json::parse(r.out);
  }

  // list-member's members (a copy: a loop over a temporary's part would dangle).
  nlohmann::json members() const { return dmctl({"list-member"})["members"]; }

  // Workers are named w1, w2, w3; worker wN runs on host whN.
  worker_process& named(const std::string& name) { return *workers.at(std::stoul(name.substr(1)) - 1); }
  static std::string host_of(const std::string& worker) { return "wh" + worker.substr(1); }

  // The online worker etcd says holds `source`, "" when none.
  std::string owner(const std::string& source) const {
    auto members = dmctl({"list-member"})["members"];
    for (auto& m : members)
      for (auto& s : m["sources"])
        if (s == source && m["state"] == "online") return m["name"];
    return "";
  }

  // Waits until `source` is bound to an online worker other than `not_on` and that worker
  // runs it; returns the worker's name. (etcd still lists a killed worker as online until its
  // lease ends: such a worker does not answer, and does not count.)
  std::string wait_owner(const std::string& source, const std::string& not_on = "",
                         std::chrono::seconds timeout = std::chrono::seconds{60}) {
    auto deadline = clock_type::now() + timeout;
    while (clock_type::now() < deadline) {
      auto name = owner(source);
      if (!name.empty() && name != not_on && named(name).pid() > 0 && runs(named(name), source))
        return name;
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    throw std::runtime_error("source " + source + " found no new owner: " +
                             dmctl({"list-member"}).dump());
  }

  // Whether the worker itself says it runs `source` (its own list-member, not etcd's records);
  // throws when the (running) worker does not answer.
  static bool runs(const worker_process& w, const std::string& source) {
    auto r = w.dmctl({"--json", "list-member"});
    if (r.exit_code != 0) throw std::runtime_error("list-member failed: " + r.out + r.err);
    auto j = nlohmann::json::parse(r.out);
    for (auto& m : j["members"])
      for (auto& s : m["sources"])
        if (s == source) return true;
    return false;
  }

  // How many live workers run `source` by their own account.
  int running_count(const std::string& source) {
    int n = 0;
    for (auto& w : workers)
      if (w->pid() > 0 && runs(*w, source)) ++n;
    return n;
  }

  // Whether worker `name` is online in etcd within 30 s (a restarted worker joins again).
  bool wait_online(const std::string& name) const {
    auto deadline = clock_type::now() + std::chrono::seconds{30};
    while (clock_type::now() < deadline) {
      for (auto& m : members())
        if (m["name"] == name && m["state"] == "online") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{200});
    }
    return false;
  }

  // dmctl offline-member --name `name`, again until it is done (once the worker's lease ended);
  // whether it was within 30 s.
  bool offline_member(const std::string& name) const {
    auto deadline = clock_type::now() + std::chrono::seconds{30};
    while (clock_type::now() < deadline) {
      try {
        dmctl({"offline-member", "--name", name});
        return true;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds{500});
      }
    }
    return false;
  }

  // A worker that is neither of `others` (w1, w2, w3).
  static std::string another_worker(const std::set<std::string>& others) {
    for (int i = 1; i <= 3; ++i) {
      auto name = "w" + std::to_string(i);
      if (!others.count(name)) return name;
    }
    throw std::logic_error("no worker left");
  }

  void create(const std::string& source, const mariadb_sandbox& upstream) {
    auto file = workers[0]->write_file(source + ".yaml", source_yaml(source, upstream));
    dmctl({"operate-source", "create", file});
  }
};

// Binlog dump threads the upstream serves to clients from `address`.
int dump_threads_from(const mariadb_sandbox& upstream, const std::string& address) {
  int n = 0;
  for (auto& row : upstream.query("SELECT HOST FROM information_schema.PROCESSLIST WHERE "
                                  "COMMAND LIKE 'Binlog Dump%'"))
    if (row[0] && row[0]->rfind(address + ":", 0) == 0) ++n;
  return n;
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

}  // namespace

BOOST_AUTO_TEST_CASE(sources_move_off_dead_frozen_and_transferred_owners_each_run_once, *boost::unit_test::label("control")) {
  cluster_setup c;
  writer load{{&c.u1, &c.u2}};
  c.create("s1", c.u1);
  c.create("s2", c.u2);
  auto first = c.wait_owner("s1");
  c.wait_owner("s2");
  BOOST_TEST(c.running_count("s1") == 1);
  BOOST_TEST(c.running_count("s2") == 1);
  wait_relay_reached(c.named(first), "s1", master_position(c.u1));

  // A worker in a cluster takes sources and tasks only through etcd.
  auto local = c.workers[0]->dmctl({"operate-source", "create",
                                    c.workers[0]->write_file("x.yaml", source_yaml("x", c.u1))});
  BOOST_TEST(local.exit_code != 0);
  BOOST_TEST(local.err.find("is in a cluster") != std::string::npos, local.err);
  auto task = c.workers[0]->write_file("t.yaml", task_yaml("t", {"s1"}, c.u2));
  auto refused = c.workers[0]->dmctl({"start-task", task});
  BOOST_TEST(refused.exit_code != 0);
  BOOST_TEST(refused.err.find("start tasks with dmctl --master-addr") != std::string::npos,
             refused.err);

  // 1. The owner of s1 is SIGKILLed: s1 moves and its relay catches up on the new owner.
  auto killed_at = clock_type::now();
  c.named(first).kill();
  auto second = c.wait_owner("s1", first);
  auto moved_after = seconds_since(killed_at);
  wait_relay_reached(c.named(second), "s1", master_position(c.u1));
  BOOST_TEST_MESSAGE("s1 moved from " << first << " to " << second << " " << moved_after
                                      << " s after the SIGKILL; relay caught up "
                                      << seconds_since(killed_at) << " s after it");
  BOOST_TEST(moved_after < keepalive_ttl + 10.0);
  BOOST_TEST(c.running_count("s1") == 1);

  // The killed worker comes back and rejoins; its stored sources do not start by themselves.
  c.named(first).start();
  BOOST_TEST(c.wait_online(first));
  BOOST_TEST(!c.runs(c.named(first), "s1"));
  BOOST_TEST(c.running_count("s1") == 1);

  // 2. The owner of s2 freezes (SIGSTOP) past its lease: s2 moves; woken, the old owner finds
  // its lease unproven and stops s2 at once.
  auto frozen = c.owner("s2");
  auto& frozen_worker = c.named(frozen);
  auto fences_before = frozen_worker.count_log_lines(fence_line);
  ::kill(frozen_worker.pid(), SIGSTOP);
  auto taker = c.wait_owner("s2", frozen);
  ::kill(frozen_worker.pid(), SIGCONT);
  auto woke = clock_type::now();
  while (c.runs(frozen_worker, "s2") && seconds_since(woke) < 10)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  BOOST_TEST_MESSAGE("frozen owner " << frozen << " stopped s2 " << seconds_since(woke)
                                     << " s after it woke; " << taker << " runs it");
  BOOST_TEST(!c.runs(frozen_worker, "s2"));
  BOOST_TEST(seconds_since(woke) < 3.0);
  BOOST_TEST(frozen_worker.count_log_lines(fence_line) == fences_before + 1);
  BOOST_TEST(c.running_count("s2") == 1);
  wait_relay_reached(c.named(taker), "s2", master_position(c.u2));

  // 3. transfer-source under writes: the owner lets go, the named worker takes it.
  auto from = c.owner("s2");
  std::string to;
  for (auto& m : c.members())
    if (m["state"] == "online" && m["name"] != from) to = m["name"].get<std::string>();
  BOOST_REQUIRE_MESSAGE(!to.empty(), c.dmctl({"list-member"}).dump() << " from " << from);
  auto moved = c.dmctl({"transfer-source", "s2", to});
  BOOST_TEST(moved["worker"] == to);
  BOOST_TEST(c.wait_owner("s2", from) == to);
  BOOST_TEST(c.running_count("s2") == 1);
  wait_relay_reached(c.named(to), "s2", master_position(c.u2));

  // 4. offline-member: refused for an online worker, done for a dead one (one that holds no
  // source, so that the sources stay put).
  std::string victim;
  for (auto w : {"w1", "w2", "w3"})
    if (w != c.owner("s1") && w != c.owner("s2")) victim = w;
  BOOST_REQUIRE(!victim.empty());
  std::vector<std::string> argv{binary_path("dmctl"), "--master-addr", c.etcd.endpoints(),
                                "offline-member", "--name", victim};
  auto online_refused = run_command(argv);
  BOOST_TEST(online_refused.exit_code != 0);
  BOOST_TEST(online_refused.err.find("is online") != std::string::npos, online_refused.err);
  c.named(victim).kill();
  BOOST_TEST(c.offline_member(victim));
  for (auto& m : c.members()) BOOST_TEST(m["name"] != victim);
  BOOST_TEST(c.running_count("s1") == 1);
  BOOST_TEST(c.running_count("s2") == 1);

  // operate-source stop through etcd: the owner stops it and lets go.
  c.dmctl({"operate-source", "stop", "s1"});
  BOOST_TEST(c.running_count("s1") == 0);
  BOOST_TEST(c.owner("s1").empty());
}

BOOST_AUTO_TEST_CASE(etcd_leader_loss_and_scheduler_dying_with_an_owner, *boost::unit_test::label("control")) {
  // etcd's user/role auth is on in this case: workers and dmctl log in, with a role that reaches
  // only the cluster's keys; tokens a restarted etcd member forgot are fetched again.
  cluster_setup c{true};
  writer load{{&c.u1, &c.u2}};
  c.create("s1", c.u1);
  c.create("s2", c.u2);
  c.wait_owner("s1");
  c.wait_owner("s2");
  const std::vector<std::string> list{binary_path("dmctl"), "--master-addr", c.etcd.endpoints(),
                                      "list-member"};
  auto anonymous = run_command(list);
  BOOST_TEST(anonymous.exit_code != 0);
  BOOST_TEST(anonymous.err.find("has user/role auth on: set etcd-user") != std::string::npos,
             anonymous.err);
  auto wrong_argv = list;
  wrong_argv.insert(wrong_argv.end(), {"--etcd-user", etcd_user, "--etcd-password", "nope"});
  auto wrong = run_command(wrong_argv);
  BOOST_TEST(wrong.exit_code != 0);
  BOOST_TEST(wrong.err.find("refused user 'dm': wrong user or password") != std::string::npos,
             wrong.err);

  // The etcd leader is SIGKILLed: the cluster goes on with two members. Nobody's lease lapses
  // (no worker fences itself, s1 stays where it is), and a source removed and made again then
  // is bound and runs.
  auto s1_owner = c.owner("s1");
  size_t fences = 0;
  for (auto& w : c.workers) fences += w->count_log_lines(fence_line);
  auto etcd_leader = c.etcd.leader();
  c.etcd.kill(etcd_leader);
  c.etcd.leader();
  c.dmctl({"operate-source", "stop", "s2"});
  BOOST_TEST(c.running_count("s2") == 0);
  c.create("s2", c.u2);
  auto s2_owner = c.wait_owner("s2");
  wait_relay_reached(c.named(s2_owner), "s2", master_position(c.u2));
  BOOST_TEST(c.owner("s1") == s1_owner);
  BOOST_TEST(c.runs(c.named(s1_owner), "s1"));
  size_t fences_after = 0;
  for (auto& w : c.workers) fences_after += w->count_log_lines(fence_line);
  BOOST_TEST(fences_after == fences);
  c.etcd.start(etcd_leader);

  // The scheduling worker and the owner of a source die together (DM's dm#2002): the last
  // worker takes over scheduling and both sources.
  auto scheduler = c.dmctl({"list-member"})["leader"].get<std::string>();
  std::string other_owner;
  for (auto s : {"s1", "s2"})
    if (c.owner(s) != scheduler) other_owner = c.owner(s);
  std::string survivor;
  for (auto& w : {"w1", "w2", "w3"})
    if (w != scheduler && w != other_owner) survivor = w;
  if (other_owner.empty()) {
    // Both sources on the scheduler: kill it and one idle worker.
    for (auto& w : {"w1", "w2", "w3"})
      if (w != scheduler && w != survivor && other_owner.empty()) other_owner = w;
    survivor.clear();
    for (auto& w : {"w1", "w2", "w3"})
      if (w != scheduler && w != other_owner) survivor = w;
  }
  BOOST_REQUIRE(!survivor.empty());
  auto killed_at = clock_type::now();
  c.named(scheduler).kill();
  c.named(other_owner).kill();
  BOOST_TEST(c.wait_owner("s1") == survivor);
  BOOST_TEST(c.wait_owner("s2") == survivor);
  BOOST_TEST_MESSAGE("scheduler " << scheduler << " and " << other_owner << " died; " << survivor
                                  << " holds both sources " << seconds_since(killed_at)
                                  << " s later");
  BOOST_TEST(c.dmctl({"list-member"})["leader"] == survivor);
  wait_relay_reached(c.named(survivor), "s1", master_position(c.u1));
  wait_relay_reached(c.named(survivor), "s2", master_position(c.u2));
}

namespace {

// The status of task `name`'s part on `w`, or null when `w` does not run it (or does not answer).
nlohmann::json part_status(const worker_process& w, const std::string& name) {
  auto r = w.dmctl({"--json", "query-status", name});
  if (r.exit_code != 0) return nullptr;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("tasks") || j["tasks"].empty()) return nullptr;
  auto sources = j["tasks"].at(0)["sources"];
  return sources.empty() ? nullptr : sources.at(0);
}

// Waits until `w` runs task `name` in its sync unit and, if `rows`, has applied rows since its
// part started there; returns the seconds waited.
double wait_applying(const worker_process& w, const std::string& name, bool rows = true,
                     std::chrono::seconds timeout = std::chrono::seconds{120}) {
  auto start = clock_type::now();
  nlohmann::json last;
  while (clock_type::now() - start < timeout) {
    last = part_status(w, name);
    if (!last.is_null() && last["stage"] == "Running" && last["unit"] == "Sync" &&
        (!rows || last["rows_applied"].get<uint64_t>() > 0))
      return std::chrono::duration<double>(clock_type::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  auto log = w.log();
  throw std::runtime_error("task " + name + " does not apply on its new owner: " + last.dump() +
                           "\n" + log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
}

// The write load of the task cases: sysbench at a steady rate, beside the mixed workload.
sysbench_options task_load() {
  sysbench_options load;
  load.tables = 2;
  load.table_size = 5000;
  load.threads = 2;
  load.rate = 150;
  return load;
}

// Prepares sysbench on u1, creates source s1 through etcd and starts the all-mode task tt from
// it into `down` through etcd; returns the worker running it once it syncs.
std::string start_all_mode_task(cluster_setup& c, const mariadb_sandbox& down) {
  c.u1.execute("CREATE DATABASE sbtest");
  auto prepared = run_sysbench(c.u1, "prepare", task_load());
  if (prepared.exit_code != 0) throw std::runtime_error("sysbench prepare: " + prepared.err);
  c.create("s1", c.u1);
  auto owner = c.wait_owner("s1");
  auto yaml = task_yaml("tt", {"s1"}, down,
                        "    mydumper-config-name: \"d\"\n"
                        "mydumpers:\n  d:\n    threads: 2\n    rows: 2000\n");
  yaml = std::regex_replace(yaml, std::regex{"task-mode: incremental"}, "task-mode: all");
  c.dmctl({"start-task", c.workers[0]->write_file("tt.yaml", yaml)});
  wait_applying(c.named(owner), "tt", false, std::chrono::seconds{180});
  return owner;
}

// Stops the writers, waits until `owner` synced tt, and compares every table.
void expect_identical(cluster_setup& c, load_writers& writing, const mariadb_sandbox& down,
                      const std::string& owner) {
  writing.stop();
  std::cout << "cluster: " << writing.sysbench_runs() << " sysbench runs and "
            << writing.mixed_changes() << " mixed changes written" << std::endl;
  wait_synced(c.named(owner), "tt", c.u1, std::chrono::seconds{240});
  for (auto* db : {"sbtest", "app"}) {
    auto diff = compare_database(c.u1, down, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
}

// One number from the downstream.
uint64_t count_of(const mariadb_sandbox& server, const std::string& sql) {
  auto rows = server.query(sql);
  return std::stoull(rows.at(0).at(0).value_or("0"));
}

// Every transaction writes its owner's epoch beside its checkpoint row: the rows downstream of
// owners older than the fence's epoch, all of them or only those written after the fence rose.
uint64_t stale_owner_rows(const mariadb_sandbox& down, bool after_raise) {
  return count_of(down, std::string{"SELECT COUNT(*) FROM dm_meta.sync_checkpoints c "
                                    "JOIN dm_meta.fence_slots f ON c.task = f.task AND "
                                    "c.source = f.source AND f.slot = 0 WHERE c.epoch < f.epoch"} +
                            (after_raise ? " AND c.updated > f.raised" : ""));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_task_follows_its_source_through_kill_and_transfer_with_identical_data, *boost::unit_test::label("tasks")) {
  cluster_setup c;
  auto& down = c.down;
  auto first = start_all_mode_task(c, down);
  load_writers writing{c.u1, task_load(), 7, "app"};
  std::this_thread::sleep_for(std::chrono::seconds{4});

  // 1. The etcd leader dies under load: nobody's lease lapses, the part stays and applies.
  size_t fences = 0;
  for (auto& w : c.workers) fences += w->count_log_lines(fence_line);
  auto etcd_leader = c.etcd.leader();
  c.etcd.kill(etcd_leader);
  c.etcd.leader();
  std::this_thread::sleep_for(std::chrono::seconds{3});
  BOOST_CHECK_EQUAL(c.owner("s1"), first);
  auto rows_applied = [&] {
    auto status = part_status(c.named(first), "tt");
    return status.is_null() ? uint64_t{0} : status["rows_applied"].get<uint64_t>();
  };
  auto applied = rows_applied();
  auto deadline = clock_type::now() + std::chrono::seconds{30};
  while (rows_applied() <= applied && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  BOOST_CHECK_GT(rows_applied(), applied);
  size_t fences_after = 0;
  for (auto& w : c.workers) fences_after += w->count_log_lines(fence_line);
  BOOST_CHECK_EQUAL(fences_after, fences);
  c.etcd.start(etcd_leader);

  // 2. The owner dies under load together with the scheduling worker (or, when the owner
  // schedules, with another worker): the last worker schedules and goes on with the task.
  auto scheduler = c.dmctl({"list-member"})["leader"].get<std::string>();
  auto companion = scheduler != first ? scheduler : cluster_setup::another_worker({first});
  auto survivor = cluster_setup::another_worker({first, companion});
  auto killed_at = clock_type::now();
  c.named(first).kill();
  c.named(companion).kill();
  auto second = c.wait_owner("s1", first);
  BOOST_CHECK_EQUAL(second, survivor);
  wait_applying(c.named(second), "tt");
  auto resumed = std::chrono::duration<double>(clock_type::now() - killed_at).count();
  std::cout << "cluster: SIGKILL of the owner " << first << " and of " << companion
            << " (the scheduler was " << scheduler << ") -> task applying on " << second
            << " after " << resumed << " s (keepalive-ttl " << keepalive_ttl << " s); "
            << applied << " rows applied before" << std::endl;
  BOOST_CHECK_LT(resumed, keepalive_ttl + 30.0);
  c.named(first).start();
  c.named(companion).start();
  BOOST_CHECK(c.wait_online(first));
  BOOST_CHECK(c.wait_online(companion));
  std::this_thread::sleep_for(std::chrono::seconds{2});

  // 3. The task is paused through etcd, then its source transferred under load to a restarted
  // worker (its local records of the part are stale): the owner stops the part (saving its
  // checkpoint), and the next one starts it paused, as the operator left it, and writes nothing
  // downstream until resume-task; then it goes on from the checkpoint.
  c.dmctl({"pause-task", "tt"});
  BOOST_CHECK_EQUAL(wait_task_stage(c.named(second), "tt", "Paused", std::chrono::seconds{30})
                        ["stage"], "Paused");
  auto third = first;
  c.dmctl({"transfer-source", "s1", third});
  BOOST_CHECK_EQUAL(c.wait_owner("s1", second), third);
  deadline = clock_type::now() + std::chrono::seconds{60};
  while (part_status(c.named(third), "tt").is_null() && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  auto checksum = [&] { return down.query("CHECKSUM TABLE sbtest.sbtest1").at(0).at(1); };
  auto paused_checksum = checksum();
  std::this_thread::sleep_for(std::chrono::seconds{3});
  auto moved_stage = part_status(c.named(third), "tt");
  BOOST_CHECK_MESSAGE(!moved_stage.is_null() && moved_stage["stage"] == "Paused",
                      "the moved part: " << moved_stage.dump());
  BOOST_CHECK(checksum() == paused_checksum);
  c.dmctl({"resume-task", "tt"});
  wait_applying(c.named(third), "tt");
  BOOST_CHECK(part_status(c.named(second), "tt").is_null());

  // 4. offline-member of a dead worker under load: the part goes on where it is.
  c.named(companion).kill();
  BOOST_CHECK(c.offline_member(companion));
  for (auto& m : c.members()) BOOST_CHECK(m["name"] != companion);
  BOOST_CHECK_EQUAL(c.owner("s1"), third);
  std::this_thread::sleep_for(std::chrono::seconds{2});

  expect_identical(c, writing, down, third);
  // The checkpoint the new owners went on from is downstream, under this start of the task.
  BOOST_CHECK_GT(row_count(down, "dm_meta.sync_checkpoints"), 0u);

  // stop-task through etcd: no worker starts it again.
  c.dmctl({"stop-task", "tt"});
  std::this_thread::sleep_for(std::chrono::seconds{3});
  for (auto& w : c.workers)
    if (w->pid() > 0) BOOST_CHECK(part_status(*w, "tt").is_null());
}

BOOST_AUTO_TEST_CASE(a_frozen_owner_writes_no_row_after_its_source_moved, *boost::unit_test::label("tasks")) {
  cluster_setup c;
  auto& down = c.down;
  auto first = start_all_mode_task(c, down);
  load_writers writing{c.u1, task_load(), 11, "app"};
  std::this_thread::sleep_for(std::chrono::seconds{4});

  // The owner freezes mid-load (its appliers may hold open transactions); its source moves, and
  // the new owner raises the fence downstream. Woken, the old owner writes nothing more.
  auto& frozen = c.named(first);
  ::kill(frozen.pid(), SIGSTOP);
  auto second = c.wait_owner("s1", first);
  wait_applying(c.named(second), "tt");
  std::this_thread::sleep_for(std::chrono::seconds{3});
  ::kill(frozen.pid(), SIGCONT);
  std::this_thread::sleep_for(std::chrono::seconds{6});
  BOOST_CHECK(part_status(frozen, "tt").is_null());

  // Count the old owner's rows written after the fence rose to the new owner's epoch.
  auto old_rows = stale_owner_rows(down, false);
  auto old_rows_after = stale_owner_rows(down, true);
  std::cout << "cluster: fence: " << old_rows << " checkpoint row(s) of the frozen owner, "
            << old_rows_after << " written after the new owner raised the fence" << std::endl;
  BOOST_CHECK_GT(old_rows, 0u);
  BOOST_CHECK_EQUAL(old_rows_after, 0u);

  // A newer owner raises the fence while the owner keeps running (as a cut-off owner would,
  // without its lease timer): the owner's next transaction rolls back and its part pauses.
  auto epoch = count_of(down, "SELECT MAX(epoch) FROM dm_meta.fence_slots WHERE task = 'tt'");
  down.execute("UPDATE dm_meta.fence_slots SET epoch = " + std::to_string(epoch + 1) +
               " WHERE task = 'tt'");
  down.execute("UPDATE dm_meta.fence_slots SET raised = NOW(6) WHERE task = 'tt'");
  auto paused = wait_task_stage(c.named(second), "tt", "Paused", std::chrono::seconds{60});
  BOOST_CHECK_NE(paused["last_error"].get<std::string>().find("the fence downstream"),
                 std::string::npos);
  auto stale_after = stale_owner_rows(down, true);
  std::cout << "cluster: fence raised under a running owner: " << stale_after
            << " row(s) of it committed after; it paused: " << paused["last_error"] << std::endl;
  BOOST_CHECK_EQUAL(stale_after, 0u);

  // Its source moved on (a newer binding has a larger epoch), the part goes on exactly.
  auto third = cluster_setup::another_worker({second});
  c.dmctl({"transfer-source", "s1", third});
  BOOST_CHECK_EQUAL(c.wait_owner("s1", second), third);
  wait_applying(c.named(third), "tt");
  expect_identical(c, writing, down, third);
}

BOOST_AUTO_TEST_CASE(an_owner_cut_off_from_etcd_alone_fences_itself_and_writes_nothing_after,
                     *boost::unit_test::label("tasks")) {
  // The owner's host loses only its control link (to etcd) under load; its data link (to
  // MariaDB, and dmctl's to it) stays: the partition DM's tf#7658 was about.
  cluster_setup c;
  auto& down = c.down;
  auto first = start_all_mode_task(c, down);
  load_writers writing{c.u1, task_load(), 13, "app"};
  std::this_thread::sleep_for(std::chrono::seconds{4});
  auto first_host = cluster_setup::host_of(first);
  auto first_address = c.net.address(first_host, "data");
  BOOST_CHECK_EQUAL(dump_threads_from(c.u1, first_address), 1);

  auto cut_at = clock_type::now();
  c.net.set_link(first_host, "control", false);
  // It fences itself: stops its part and its source, answering dmctl all along.
  while (c.runs(c.named(first), "s1") && seconds_since(cut_at) < 30)
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  auto fenced_after = seconds_since(cut_at);
  BOOST_CHECK(!c.runs(c.named(first), "s1"));
  auto second = c.wait_owner("s1", first);
  auto moved_after = seconds_since(cut_at);
  wait_applying(c.named(second), "tt");
  std::cout << "cluster: " << first << " lost its control link: it stopped s1 and its task "
            << fenced_after << " s later, " << second << " ran them " << moved_after
            << " s later and applied " << seconds_since(cut_at) << " s later" << std::endl;
  // It stopped before the new owner started (its lease could not have ended earlier), and no
  // longer reads the upstream.
  BOOST_CHECK_LT(fenced_after, moved_after);
  BOOST_CHECK_LT(fenced_after, keepalive_ttl);
  BOOST_CHECK_EQUAL(dump_threads_from(c.u1, first_address), 0);
  std::this_thread::sleep_for(std::chrono::seconds{3});
  auto old_rows = stale_owner_rows(down, false);
  auto old_rows_after = stale_owner_rows(down, true);
  std::cout << "cluster: control link cut: " << old_rows << " checkpoint row(s) of the cut-off "
            << "owner, " << old_rows_after << " written after the new owner raised the fence"
            << std::endl;
  BOOST_CHECK_GT(old_rows, 0u);
  BOOST_CHECK_EQUAL(old_rows_after, 0u);

  // The link comes back: the worker joins again and does not take s1 back by itself.
  c.net.set_link(first_host, "control", true);
  BOOST_CHECK(c.wait_online(first));
  BOOST_CHECK(!c.runs(c.named(first), "s1"));
  BOOST_CHECK_EQUAL(c.owner("s1"), second);
  expect_identical(c, writing, down, second);
  BOOST_CHECK_EQUAL(stale_owner_rows(down, true), 0u);
}

BOOST_AUTO_TEST_CASE(a_new_owner_that_needs_a_purged_binlog_pauses_the_task_saying_so, *boost::unit_test::label("faults")) {
  cluster_setup c;
  auto& down = c.down;
  auto first = start_all_mode_task(c, down);
  load_writers writing{c.u1, task_load(), 17, "app"};
  // Beside the load, an insert-only table whose downstream copy must stay a gapless prefix.
  writer inserts{{&c.u1}};
  std::this_thread::sleep_for(std::chrono::seconds{4});
  wait_applying(c.named(first), "tt");

  // While no worker holds s1, the upstream drops the binlog file the task's checkpoint is in
  // (once the dead worker's dump thread, which keeps the file in use, has noticed).
  c.named(first).kill();
  c.u1.execute("FLUSH BINARY LOGS");
  auto current = master_position(c.u1).first;
  auto purge_deadline = clock_type::now() + std::chrono::seconds{5};
  do {
    c.u1.execute("PURGE BINARY LOGS TO '" + current + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  } while (c.u1.query("SHOW BINARY LOGS").size() > 1 && clock_type::now() < purge_deadline);
  BOOST_REQUIRE_EQUAL(c.u1.query("SHOW BINARY LOGS").size(), 1u);
  auto second = c.wait_owner("s1", first);
  nlohmann::json paused;
  auto deadline = clock_type::now() + std::chrono::seconds{60};
  while (clock_type::now() < deadline) {
    paused = part_status(c.named(second), "tt");
    if (!paused.is_null() && paused["stage"] == "Paused") break;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  BOOST_REQUIRE_MESSAGE(!paused.is_null() && paused["stage"] == "Paused", paused.dump());
  std::cout << "cluster: purged binlog: " << paused["last_error"] << std::endl;
  BOOST_CHECK_NE(paused["last_error"].get<std::string>().find("had purged the binlog"),
                 std::string::npos);
  // Nothing wrong downstream: every row of the insert-only table there is the upstream's row
  // (parallel appliers may have committed some rows past a gap before the owner died; the
  // checkpoint covers only the gapless part, and a replay from it is idempotent), and no table
  // changes while the part stays paused.
  auto checksums = [&] {
    std::vector<std::optional<std::string>> out;
    for (auto* table : {"t.w", "sbtest.sbtest1", "sbtest.sbtest2"})
      out.push_back(down.query(std::string{"CHECKSUM TABLE "} + table).at(0).at(1));
    return out;
  };
  auto rows = row_count(down, "t.w");
  auto before = checksums();
  std::this_thread::sleep_for(std::chrono::seconds{3});
  BOOST_CHECK(checksums() == before);
  BOOST_CHECK_EQUAL(row_count(down, "t.w"), rows);
  BOOST_CHECK_GT(rows, 0u);
  std::map<std::string, std::optional<std::string>> upstream_rows;
  for (auto& r : c.u1.query("SELECT id, v FROM t.w")) upstream_rows[*r.at(0)] = r.at(1);
  size_t foreign = 0;
  for (auto& r : down.query("SELECT id, v FROM t.w")) {
    auto it = upstream_rows.find(*r.at(0));
    if (it == upstream_rows.end() || it->second != r.at(1)) ++foreign;
  }
  BOOST_CHECK_EQUAL(foreign, 0u);
}

BOOST_AUTO_TEST_CASE(a_task_whose_downstream_is_down_holds_up_no_other_task_on_a_new_owner,
                     *boost::unit_test::label("faults")) {
  cluster_setup c;
  mariadb_sandbox other_down{on_database_host(c.net, 4)};
  for (auto* server : {&c.u1, &c.down, &other_down})
    server->execute("CREATE DATABASE t; CREATE TABLE t.w "
                    "(id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40))");
  c.create("s1", c.u1);
  auto first = c.wait_owner("s1");
  c.dmctl({"start-task", c.workers[0]->write_file("p.yaml", task_yaml("p", {"s1"}, c.down))});
  c.dmctl({"start-task", c.workers[0]->write_file("q.yaml", task_yaml("q", {"s1"}, other_down))});
  auto inserts = std::make_unique<writer>(std::vector<mariadb_sandbox*>{&c.u1});
  wait_applying(c.named(first), "p");
  wait_applying(c.named(first), "q");

  // q's downstream goes away, then the owner dies: the new owner cannot read q's checkpoint,
  // yet it starts the source (its relay from the upstream's earliest binlog) and p goes on.
  other_down.stop();
  c.named(first).kill();
  auto second = c.wait_owner("s1", first);
  wait_applying(c.named(second), "p");
  BOOST_CHECK(part_status(c.named(second), "q").is_null());
  BOOST_CHECK_GT(c.named(second).count_log_lines("cannot be read"), 0u);

  // q's downstream returns: q is taken over from its checkpoint and catches up; both exact.
  other_down.start();
  wait_applying(c.named(second), "q");
  inserts.reset();
  wait_synced(c.named(second), "p", c.u1, std::chrono::seconds{120});
  wait_synced(c.named(second), "q", c.u1, std::chrono::seconds{120});
  for (auto* down : {&c.down, &other_down}) {
    auto diff = compare_database(c.u1, *down, "t");
    BOOST_CHECK_MESSAGE(diff.empty(), diff);
  }
}

// A full migration stays with the worker that loads it (its dump files are there): the owner is
// SIGKILLed mid-load under load; the new owner runs the source but refuses the part, saying why;
// the killed worker returns and the source goes back to it (its loading/ record), where the copy
// goes on from the chunks it loaded. transfer-source away from it is refused while it loads, and
// allowed once the part syncs. Every table ends identical.
BOOST_AUTO_TEST_CASE(a_full_migration_follows_its_dump_files_back_to_their_worker,
                     *boost::unit_test::label("faults")) {
  cluster_setup c;
  auto& down = c.down;
  c.u1.execute("CREATE DATABASE sbtest");
  auto prepared = run_sysbench(c.u1, "prepare", task_load());
  BOOST_REQUIRE_EQUAL(prepared.exit_code, 0);
  c.u1.execute("CREATE DATABASE bulk; CREATE TABLE bulk.rows (id INT PRIMARY KEY, v CHAR(200)) "
               "SELECT seq AS id, REPEAT(CHAR(65 + seq % 26), 200) AS v FROM bulk.seq_1_to_300000");
  c.create("s1", c.u1);
  auto first = c.wait_owner("s1");
  load_writers writing{c.u1, task_load(), 19, "app"};
  auto yaml = task_yaml("tt", {"s1"}, down,
                        "    mydumper-config-name: \"d\"\n"
                        "    loader-config-name: \"l\"\n"
                        "mydumpers:\n  d:\n    threads: 2\n    rows: 2000\n"
                        "loaders:\n  l:\n    pool-size: 1\n");
  yaml = std::regex_replace(yaml, std::regex{"task-mode: incremental"}, "task-mode: all");
  c.dmctl({"start-task", c.workers[0]->write_file("tt.yaml", yaml)});

  // Killed once part of the copy is loaded.
  nlohmann::json status;
  bool mid_load = false;
  auto deadline = clock_type::now() + std::chrono::seconds{120};
  while (!mid_load && clock_type::now() < deadline) {
    status = part_status(c.named(first), "tt");
    if (!status.is_null() && status.contains("migration")) {
      auto loaded = status["migration"]["chunks_loaded"].get<int>();
      mid_load = loaded >= 3 && loaded < status["migration"]["chunks_total"].get<int>();
    }
    if (!mid_load) std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  BOOST_REQUIRE_MESSAGE(mid_load, status.dump());
  c.named(first).kill();
  auto second = c.wait_owner("s1", first);
  deadline = clock_type::now() + std::chrono::seconds{60};
  while (clock_type::now() < deadline &&
         c.named(second).count_log_lines("began on another worker") == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  BOOST_CHECK_GT(c.named(second).count_log_lines("began on another worker"), 0u);
  BOOST_CHECK(part_status(c.named(second), "tt").is_null());

  // Back, the loading worker gets its source again and finishes the copy.
  c.named(first).start();
  BOOST_CHECK(c.wait_online(first));
  deadline = clock_type::now() + std::chrono::seconds{60};
  while (clock_type::now() < deadline && !c.runs(c.named(first), "s1"))
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  BOOST_REQUIRE_MESSAGE(c.runs(c.named(first), "s1"),
                        "the loading worker did not get its source back: "
                            << c.dmctl({"list-member"}).dump() << "\n"
                            << c.named(first).log().substr(0, 6000));
  try {
    c.dmctl({"transfer-source", "s1", second});
    auto now = part_status(c.named(first), "tt");
    BOOST_CHECK_MESSAGE(!now.is_null() && now["unit"] == "Sync",
                        "transfer-source left a loading worker: " << now.dump());
  } catch (const std::exception& e) {
    std::cout << "cluster: transfer-source during the copy: " << e.what() << std::endl;
    BOOST_CHECK_NE(std::string{e.what()}.find("full migration loading on worker " + first),
                   std::string::npos);
  }
  wait_applying(c.named(first), "tt", false, std::chrono::seconds{240});
  BOOST_CHECK_GT(c.named(first).count_log_lines("already loaded are not loaded again"), 0u);

  // Synced, the part moves like any other.
  deadline = clock_type::now() + std::chrono::seconds{30};
  bool moved = false;
  while (!moved && clock_type::now() < deadline) {
    try {
      c.dmctl({"transfer-source", "s1", second});
      moved = true;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds{500});
    }
  }
  BOOST_REQUIRE(moved);
  wait_applying(c.named(second), "tt");
  expect_identical(c, writing, down, second);
  auto diff = compare_database(c.u1, down, "bulk");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
}

// Chaos: faults of the cases above (owner killed, alone or with the scheduler; owner frozen;
// transfer-source; etcd leader killed), in a random order, under the same load; every table ends
// identical. Short mode (CI) injects 4 faults; DM_CLUSTER_CHAOS_FAULTS=N injects N (long mode:
// 40), and DM_CLUSTER_CHAOS_SEED replays the order a run printed.
BOOST_AUTO_TEST_CASE(cluster_chaos_under_load_ends_with_identical_data, *boost::unit_test::label("faults")) {
  auto env = [](const char* name) -> uint64_t {
    const char* v = std::getenv(name);
    return v && *v ? std::stoull(v) : 0;
  };
  const uint64_t faults = env("DM_CLUSTER_CHAOS_FAULTS") ? env("DM_CLUSTER_CHAOS_FAULTS") : 4;
  const uint64_t seed = env("DM_CLUSTER_CHAOS_SEED") ? env("DM_CLUSTER_CHAOS_SEED")
                                                     : std::random_device{}();
  std::cout << "cluster chaos: seed " << seed << ", " << faults << " faults" << std::endl;
  cluster_setup c;
  auto& down = c.down;
  start_all_mode_task(c, down);
  load_writers writing{c.u1, task_load(), seed, "app"};
  std::mt19937_64 rng{seed};
  std::map<std::string, int> survived;
  for (uint64_t i = 0; i < faults; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{2000 + rng() % 3000});
    auto owner = c.wait_owner("s1");
    std::string fault;
    switch (rng() % 5) {
      case 0: {
        fault = "owner SIGKILLed (and started again)";
        c.named(owner).kill();
        wait_applying(c.named(c.wait_owner("s1", owner)), "tt");
        c.named(owner).start();
        break;
      }
      case 1: {
        fault = "owner frozen past its lease";
        ::kill(c.named(owner).pid(), SIGSTOP);
        auto next = c.wait_owner("s1", owner);
        ::kill(c.named(owner).pid(), SIGCONT);
        wait_applying(c.named(next), "tt");
        break;
      }
      case 2: {
        fault = "transfer-source";
        std::string target;
        for (auto& m : c.members())
          if (m["name"] != owner && m["state"] == "online") target = m["name"];
        if (target.empty()) continue;
        c.dmctl({"transfer-source", "s1", target});
        wait_applying(c.named(c.wait_owner("s1", owner)), "tt");
        break;
      }
      case 3: {
        fault = "owner SIGKILLed with the scheduling worker (both started again)";
        auto scheduler = c.dmctl({"list-member"})["leader"].get<std::string>();
        auto companion = scheduler != owner ? scheduler : cluster_setup::another_worker({owner});
        c.named(owner).kill();
        c.named(companion).kill();
        wait_applying(c.named(c.wait_owner("s1", owner)), "tt");
        c.named(owner).start();
        c.named(companion).start();
        BOOST_CHECK(c.wait_online(owner) && c.wait_online(companion));
        break;
      }
      default: {
        fault = "etcd leader SIGKILLed (and started again)";
        auto leader = c.etcd.leader();
        c.etcd.kill(leader);
        std::this_thread::sleep_for(std::chrono::seconds{3});
        c.etcd.start(leader);
        wait_applying(c.named(c.wait_owner("s1")), "tt");
        break;
      }
    }
    ++survived[fault];
    std::cout << "cluster chaos: fault " << i + 1 << ": " << fault << std::endl;
  }
  for (auto& [fault, n] : survived)
    std::cout << "cluster chaos: survived " << n << " x " << fault << std::endl;
  expect_identical(c, writing, down, c.wait_owner("s1"));
  BOOST_CHECK_EQUAL(c.running_count("s1"), 1);
}
