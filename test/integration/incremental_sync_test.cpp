// Incremental replication end to end: a real upstream and downstream MariaDB, a real dm-worker
// driven by dmctl; 10,000 mixed changes must arrive exactly, and again after a SIGKILL of the
// worker with 1,000 more changes written while it was down. Passwords given encrypted by
// `dmctl encrypt` (this project's form, and DM's) work and never show in logs or status.
#define BOOST_TEST_MODULE incremental_sync
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>

#include "test/support/harness.hpp"
#include "test/support/workload.hpp"

using namespace dm::test;

BOOST_AUTO_TEST_CASE(mixed_changes_arrive_exactly_and_survive_sigkill) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;

  auto created = worker.dmctl(
      {"operate-source", "create", worker.write_file("source.yaml", source_yaml("up", upstream))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto started = worker.dmctl(
      {"start-task", worker.write_file("task.yaml", task_yaml("sync", {"up"}, downstream))});
  BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);

  // Where the relay starts: the upstream's position when the source was created.
  auto relay_start = master_position(upstream);
  mixed_workload workload{"shop", 20261121};
  auto conn = upstream.connect();
  BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
  workload.run(conn, 10000);
  wait_synced(worker, "sync", upstream);
  auto diff = compare_database(upstream, downstream, "shop");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
  BOOST_TEST_MESSAGE("after 10,000 changes: orders " << row_count(upstream, "shop.orders")
                                                     << " rows, identical");

  worker.kill();
  workload.run(conn, 1000);
  worker.start();
  wait_synced(worker, "sync", upstream);
  diff = compare_database(upstream, downstream, "shop");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);

  // The relay log is the upstream binlog, event for event (read while the worker runs).
  size_t events = 0;
  auto relay_diff = compare_relay_with_upstream(worker, "up", upstream, relay_start.first,
                                                relay_start.second, &events);
  BOOST_CHECK_MESSAGE(relay_diff.empty(), relay_diff);
  BOOST_TEST_MESSAGE("relay log equals the upstream binlog over " << events << " events");
}

BOOST_AUTO_TEST_CASE(encrypted_passwords_connect_and_never_show) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  const std::string up_password = "Up-secret-4711", down_password = "Down-secret-0815";
  upstream.execute("CREATE USER 'repl'@'%' IDENTIFIED BY '" + up_password + "'");
  upstream.execute("GRANT ALL ON *.* TO 'repl'@'%'");
  downstream.execute("CREATE USER 'app'@'%' IDENTIFIED BY '" + down_password + "'");
  downstream.execute("GRANT ALL ON *.* TO 'app'@'%'");

  auto key_dir = make_temp_dir("dm-key");
  auto key_path = key_dir + "/secret.key";
  std::ofstream{key_path} << "8f3a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8\n";
  worker_options options;
  options.extra_toml = "secret-key-path = \"" + key_path + "\"\n";
  worker_process worker{options};
  auto encrypt = [&](const std::string& plain) {
    auto r = worker.dmctl({"encrypt", "--secret-key-path", key_path, plain});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto sealed = r.out.substr(0, r.out.find('\n'));
    BOOST_REQUIRE(sealed.find(plain) == std::string::npos);
    return sealed;
  };
  // The form DM's own `dmctl encrypt` writes under the same key file (base64 of IV, '@',
  // AES-256-CFB), made here by the openssl CLI.
  auto dm_encrypt = [&](const std::string& plain) {
    auto r = run_command(
        {"bash", "-c",
         "{ printf '\\x0f\\x0e\\x0d\\x0c\\x0b\\x0a\\x09\\x08\\x07\\x06\\x05\\x04\\x03\\x02\\x01\\x00@'; "
         "printf '%s' '" + plain + "' | openssl enc -aes-256-cfb -K $(tr -d '\\n' < " + key_path +
         ") -iv 0f0e0d0c0b0a09080706050403020100; } | base64 -w0"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return r.out;
  };
  auto with_user = [](const std::string& yaml, const std::string& user,
                      const std::string& password) {
    return std::regex_replace(yaml, std::regex{"user: \"root\"\n  password: \"\""},
                              "user: \"" + user + "\"\n  password: \"" + password + "\"");
  };
  auto created = worker.dmctl(
      {"operate-source", "create",
       worker.write_file("s.yaml", with_user(source_yaml("up", upstream), "repl",
                                             dm_encrypt(up_password)))});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto started = worker.dmctl(
      {"start-task", worker.write_file("t.yaml", with_user(task_yaml("t", {"up"}, downstream),
                                                           "app", encrypt(down_password)))});
  BOOST_REQUIRE_MESSAGE(started.exit_code == 0, started.err);
  mixed_workload workload{"app", 3};
  {
    auto conn = upstream.connect();
    BOOST_REQUIRE(!conn.execute(workload.schema_sql()));
    workload.run(conn, 500);
  }
  wait_synced(worker, "t", upstream);
  auto diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);

  // A restarted worker decrypts the stored configs again.
  worker.kill();
  worker.start();
  {
    auto conn = upstream.connect();
    workload.run(conn, 200);
  }
  wait_synced(worker, "t", upstream);
  diff = compare_database(upstream, downstream, "app");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);

  auto status = worker.dmctl({"--json", "query-status"}).out + worker.dmctl({"query-status"}).out;
  for (auto* plain : {&up_password, &down_password}) {
    BOOST_CHECK(worker.log().find(*plain) == std::string::npos);
    BOOST_CHECK(status.find(*plain) == std::string::npos);
  }
  // A key file that is not a key is refused with a one-line reason.
  std::ofstream{key_dir + "/bad.key"} << "not a key\n";
  auto refused = worker.dmctl({"encrypt", "--secret-key-path", key_dir + "/bad.key", "x"});
  BOOST_CHECK_NE(refused.exit_code, 0);
  BOOST_CHECK_MESSAGE(refused.err.find("must hold 64 hexadecimal characters") != std::string::npos,
                      refused.err);
}
