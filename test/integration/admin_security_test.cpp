// The admin endpoint over TLS with a token, against a real worker: dmctl with the CA-signed
// certificate and the token is served; without the token or with a wrong one the worker
// refuses the command, logs the attempt and changes nothing; without TLS or with a certificate
// another CA signed, dmctl does not get through the handshake, and the worker logs the refused
// handshake with the peer and the reason; cert-allowed-cn admits only the names it lists. Also TLS
// from the worker to the upstream and downstream servers.
#define BOOST_TEST_MODULE admin_security
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "test/support/etcd_cluster.hpp"
#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.err);
}

// A CA ("ca" and "other-ca"), certificates they signed (worker, dmctl by ca; intruder by
// other-ca), and two admin tokens, in a temp dir.
struct credentials {
  std::string dir = make_temp_dir("dm-tls");

  credentials() {
    for (auto ca : {"ca", "other-ca"})
      openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path(ca, "key"),
               "-out", path(ca, "pem"), "-days", "2", "-subj", std::string{"/CN="} + ca});
    for (auto [name, ca] : {std::pair{"worker", "ca"}, {"dmctl", "ca"}, {"intruder", "other-ca"}}) {
      openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", path(name, "key"), "-out",
               path(name, "csr"), "-subj", std::string{"/CN="} + name});
      openssl({"x509", "-req", "-in", path(name, "csr"), "-CA", path(ca, "pem"), "-CAkey",
               path(ca, "key"), "-CAcreateserial", "-out", path(name, "pem"), "-days", "2"});
    }
    // A server certificate for MariaDB on 127.0.0.1 (its name is verified).
    std::ofstream{dir + "/san.cnf"} << "subjectAltName=IP:127.0.0.1\n";
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server", "key"), "-out",
             path("server", "csr"), "-subj", "/CN=127.0.0.1"});
    openssl({"x509", "-req", "-in", path("server", "csr"), "-CA", path("ca", "pem"), "-CAkey",
             path("ca", "key"), "-CAcreateserial", "-out", path("server", "pem"), "-days", "2",
             "-extfile", dir + "/san.cnf"});
    for (auto token : {"token", "wrong-token"})
      openssl({"rand", "-hex", "-out", dir + "/" + token, "32"});
  }
  ~credentials() { remove_tree(dir); }

  std::string path(const std::string& name, const std::string& ext) const {
    return dir + "/" + name + "." + ext;
  }
  std::vector<std::string> tls(const std::string& who) const {
    return {"--ssl-ca", path("ca", "pem"), "--ssl-cert", path(who, "pem"), "--ssl-key",
            path(who, "key")};
  }
  std::vector<std::string> with_token(std::vector<std::string> flags,
                                      const std::string& token) const {
    flags.push_back("--token-path");
    flags.push_back(dir + "/" + token);
    return flags;
  }
  worker_options worker() const {
    worker_options o;
    o.extra_toml = "ssl-ca = \"" + path("ca", "pem") + "\"\nssl-cert = \"" + path("worker", "pem") +
                   "\"\nssl-key = \"" + path("worker", "key") + "\"\nadmin-token-path = \"" +
                   dir + "/token\"\n";
    o.dmctl_flags = with_token(tls("dmctl"), "token");
    return o;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(only_a_certified_dmctl_with_the_token_is_served) {
  credentials creds;
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  worker_process worker{creds.worker()};
  BOOST_CHECK(worker.log().find("(TLS, admin token required)") != std::string::npos);
  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("s.yaml", source_yaml("src", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);

  // Right certificate, no token or the wrong one: refused by the worker, and logged.
  auto no_token = worker.dmctl_with(creds.tls("dmctl"), {"operate-source", "stop", "src"});
  BOOST_CHECK_NE(no_token.exit_code, 0);
  BOOST_CHECK_MESSAGE(no_token.err.find("the worker refused the command: no admin token") !=
                          std::string::npos,
                      no_token.err);
  auto wrong = worker.dmctl_with(creds.with_token(creds.tls("dmctl"), "wrong-token"),
                                 {"operate-source", "stop", "src"});
  BOOST_CHECK_NE(wrong.exit_code, 0);
  BOOST_CHECK_MESSAGE(wrong.err.find("wrong admin token") != std::string::npos, wrong.err);
  auto log = worker.log();
  BOOST_CHECK(log.find("refused an admin command from node") != std::string::npos);
  BOOST_CHECK(log.find("a wrong admin token") != std::string::npos);
  BOOST_CHECK(log.find("no admin token") != std::string::npos);

  // The token without TLS, or with a certificate of another CA: no handshake.
  auto plain = worker.dmctl_with(creds.with_token({}, "token"), {"query-status"});
  BOOST_CHECK_NE(plain.exit_code, 0);
  BOOST_CHECK_MESSAGE(plain.err.find("cannot reach dm-worker") != std::string::npos, plain.err);
  auto intruder = worker.dmctl_with(creds.with_token(creds.tls("intruder"), "token"),
                                    {"operate-source", "stop", "src"});
  BOOST_CHECK_NE(intruder.exit_code, 0);
  BOOST_CHECK_MESSAGE(intruder.err.find("cannot reach dm-worker") != std::string::npos,
                      intruder.err);
  // A second attempt right away is not logged again (a peer in a retry loop cannot flood it).
  worker.dmctl_with(creds.with_token(creds.tls("intruder"), "token"), {"query-status"});
  // Both refused handshakes are in the worker's log, with the peer and the reason.
  log = worker.log();
  size_t verify_lines = 0;
  for (auto at = log.find("certificate verify failed"); at != std::string::npos;
       at = log.find("certificate verify failed", at + 1))
    ++verify_lines;
  BOOST_CHECK_EQUAL(verify_lines, 1u);
  auto refused_at = [&](const std::string& reason) {
    for (auto at = log.find("admin endpoint refused a TLS connection from 127.0.0.1:");
         at != std::string::npos;
         at = log.find("admin endpoint refused a TLS connection from 127.0.0.1:", at + 1))
      if (log.substr(at, log.find('\n', at) - at).find(reason) != std::string::npos) return true;
    return false;
  };
  BOOST_CHECK_MESSAGE(refused_at("certificate verify failed"), log);
  BOOST_CHECK_MESSAGE(refused_at("wrong version number"), log);  // the dmctl without TLS
  // A peer that only opens and closes a connection (dmctl's reachability probe) is not one.
  BOOST_CHECK_MESSAGE(log.find("unexpected eof") == std::string::npos, log);

  auto partial = worker.dmctl_with({"--ssl-ca", creds.path("ca", "pem")}, {"query-status"});
  BOOST_CHECK_NE(partial.exit_code, 0);
  BOOST_CHECK(partial.err.find("--ssl-ca, --ssl-cert and --ssl-key go together") !=
              std::string::npos);

  // None of the refused commands changed anything.
  auto sources = worker.dmctl_json({"operate-source", "show"})["sources"];
  BOOST_REQUIRE_EQUAL(sources.size(), 1u);
  BOOST_CHECK_EQUAL(sources[0]["source_id"], "src");
}

// TLS to the servers (DM's `security` under from and target-database): the source's user needs
// a client certificate (REQUIRE X509), the downstream's TLS (REQUIRE SSL); replication runs
// over TLS, and a connection without it, or trusting another CA, is refused.
// DM's cert-allowed-cn: a certificate the CA signed is refused unless its common name is
// listed, on the admin endpoint and on the status port alike.
BOOST_AUTO_TEST_CASE(cert_allowed_cn_admits_only_the_listed_names) {
  credentials creds;
  auto options = creds.worker();
  options.extra_toml += "cert-allowed-cn = [\"dmctl\"]\n";
  options.metrics = true;
  worker_process worker{options};
  auto served = worker.dmctl({"query-status"});
  BOOST_CHECK_MESSAGE(served.exit_code == 0, served.err);
  // The worker's own certificate is signed by the same CA, but its name is "worker".
  auto other = worker.dmctl_with(creds.with_token(creds.tls("worker"), "token"), {"query-status"});
  BOOST_CHECK_NE(other.exit_code, 0);
  BOOST_CHECK_MESSAGE(other.err.find("cannot reach") != std::string::npos, other.err);
  auto refusal = "common name 'worker' is not in cert-allowed-cn";
  for (int i = 0; i < 50 && worker.count_log_lines(refusal) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  BOOST_CHECK_MESSAGE(worker.count_log_lines(refusal) >= 1, worker.log());
  auto https = [&](const std::string& who) {
    // -k: the worker's certificate names "worker", not 127.0.0.1; the client side is checked.
    return run_command({"curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}", "--cert",
                        creds.path(who, "pem"), "--key",
                        creds.path(who, "key"), "https://" + worker.metrics_addr() + "/metrics"});
  };
  BOOST_CHECK_EQUAL(https("dmctl").out, "200");
  BOOST_CHECK_NE(https("worker").out, "200");
}

BOOST_AUTO_TEST_CASE(sources_and_targets_connect_over_tls) {
  credentials creds;
  auto tls_server = [&](uint32_t id) {
    auto o = sandbox_options::with_server_id(id);
    o.extra_args = {"--ssl-ca=" + creds.path("ca", "pem"), "--ssl-cert=" + creds.path("server", "pem"),
                    "--ssl-key=" + creds.path("server", "key")};
    return o;
  };
  mariadb_sandbox upstream{tls_server(1)};
  mariadb_sandbox downstream{tls_server(2)};
  upstream.execute("CREATE USER tls@'%' REQUIRE X509; GRANT ALL ON *.* TO tls@'%'");
  downstream.execute("CREATE USER tls@'%' REQUIRE SSL; GRANT ALL ON *.* TO tls@'%'");
  worker_process worker;
  auto as_tls = [](std::string yaml, const std::string& security) {
    yaml.replace(yaml.find("user: \"root\""), 12, "user: \"tls\"");
    auto at = yaml.find("password: \"\"\n") + 13;
    return yaml.insert(at, security);
  };
  auto client = "  security:\n    ssl-ca: \"" + creds.path("ca", "pem") + "\"\n    ssl-cert: \"" +
                creds.path("dmctl", "pem") + "\"\n    ssl-key: \"" + creds.path("dmctl", "key") +
                "\"\n";
  // Without TLS, or trusting another CA than the server's, no connection.
  auto plain = worker.dmctl({"operate-source", "create",
                             worker.write_file("plain.yaml", as_tls(source_yaml("s", upstream), ""))});
  BOOST_CHECK_NE(plain.exit_code, 0);
  BOOST_CHECK_MESSAGE(plain.err.find("Access denied") != std::string::npos, plain.err);
  auto other = client;
  other.replace(other.find(creds.path("ca", "pem")), creds.path("ca", "pem").size(),
                creds.path("other-ca", "pem"));
  auto distrust = worker.dmctl(
      {"operate-source", "create", worker.write_file("other.yaml", as_tls(source_yaml("s", upstream), other))});
  BOOST_CHECK_NE(distrust.exit_code, 0);
  BOOST_CHECK_MESSAGE(distrust.err.find("source s was not created") != std::string::npos,
                      distrust.err);

  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("s.yaml", as_tls(source_yaml("s", upstream), client))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto target = "  security:\n    ssl-ca: \"" + creds.path("ca", "pem") + "\"\n";
  auto started = worker.dmctl(
      {"start-task", worker.write_file("t.yaml", as_tls(task_yaml("t", {"s"}, downstream), target))});
  BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);
  upstream.execute("CREATE DATABASE x; CREATE TABLE x.t (id INT PRIMARY KEY, v TEXT)");
  upstream.execute("INSERT INTO x.t VALUES (1, 'over TLS'), (2, 'both ways')");
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "x");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  // The users REQUIRE X509 / SSL: every session of the relay, the syncer and the precheck
  // was encrypted, or it would have been refused.
}

// A cluster whose etcd speaks only TLS and asks clients for certificates its CA signed: the
// worker joins with its ssl-* files, dmctl --master-addr https://... with its --ssl-* files;
// a certificate of another CA, or no CA file, gets nothing from etcd.
BOOST_AUTO_TEST_CASE(etcd_over_tls_serves_only_certified_workers_and_dmctl) {
  credentials creds;
  etcd_cluster etcd{1, "127.0.0.1",
                    {creds.path("server", "pem"), creds.path("server", "key"),
                     creds.path("ca", "pem")}};
  BOOST_REQUIRE(etcd.endpoints().rfind("https://", 0) == 0);
  mariadb_sandbox upstream;
  auto options = creds.worker();
  options.name = "w1";
  options.extra_toml += "join = \"" + etcd.endpoints() + "\"\nkeepalive-ttl = 6\n";
  worker_process worker{options};
  auto dmctl = [&](const std::vector<std::string>& flags, const std::vector<std::string>& args) {
    std::vector<std::string> argv{binary_path("dmctl"), "--master-addr", etcd.endpoints()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };
  auto file = worker.write_file("s.yaml", source_yaml("s", upstream));
  auto created = dmctl(creds.tls("dmctl"), {"operate-source", "create", file});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  BOOST_TEST(created.out.find("bound to worker w1") != std::string::npos, created.out);
  auto members = dmctl(creds.tls("dmctl"), {"list-member"});
  BOOST_TEST(members.out.find("worker w1") != std::string::npos, members.out);
  BOOST_TEST(members.out.find(": s") != std::string::npos, members.out);

  auto intruder = dmctl(creds.tls("intruder"), {"list-member"});
  BOOST_TEST(intruder.exit_code != 0);
  BOOST_TEST(intruder.err.find("answered over TLS") != std::string::npos, intruder.err);
  auto no_ca = dmctl({}, {"list-member"});
  BOOST_TEST(no_ca.exit_code != 0);
  BOOST_TEST(no_ca.err.find("no CA file is given") != std::string::npos, no_ca.err);
}
