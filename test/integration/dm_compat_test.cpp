// A DM operator's commands against a real worker with two sources: -s on the task commands
// (options before or after the words; stop-task -s removes one part), binlog list/inject/revert
// on a real failed event and skip/replace/inject -b ahead of one, binlog-schema, the relay commands, show-ddl-locks, get-config, config
// export/import, start-task --start-time and
// a meta with binlog-gtid alone, a DM-looking password that does not decrypt, and DM's HTTP API
// with curl (admin token required).
#define BOOST_TEST_MODULE dm_compat
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "test/support/harness.hpp"
#include "test/support/process.hpp"

using namespace dm::test;
using nlohmann::json;

namespace {

const std::string token = "dm-compat-test-token-0123456789";

std::string token_file() {
  auto path = std::filesystem::temp_directory_path() /
              ("dm_compat_token_" + std::to_string(::getpid()));
  std::ofstream{path} << token << "\n";
  return path.string();
}

worker_options options_with_token(const std::string& path) {
  worker_options o;
  o.metrics = true;
  o.extra_toml = "admin-token-path = \"" + path + "\"\n";
  o.dmctl_flags = {"--token-path", path};
  return o;
}

// curl against the worker's status port: (HTTP code, body).
std::pair<int, std::string> curl(const worker_process& worker, const std::string& method,
                                 const std::string& path, const std::string& body = "",
                                 bool with_token = true) {
  std::vector<std::string> argv{"curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method};
  if (with_token) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
  if (!body.empty()) argv.insert(argv.end(), {"-H", "Content-Type: application/json", "-d", body});
  argv.push_back("http://" + worker.metrics_addr() + path);
  auto r = run_command(argv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "curl failed: " + r.err);
  auto cut = r.out.rfind('\n');
  return {std::stoi(r.out.substr(cut + 1)), r.out.substr(0, cut)};
}

void require_ok(const command_result& r, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, what << ": " << r.err << r.out);
}

// "file:pos" where the statement mentioning `needle` starts in the upstream's current binlog.
std::string event_start(const mariadb_sandbox& upstream, const std::string& needle) {
  auto file = *upstream.query("SHOW MASTER STATUS")[0][0];
  std::string found;
  for (auto& row : upstream.query("SHOW BINLOG EVENTS IN '" + file + "'"))
    if (row[5] && row[5]->find(needle) != std::string::npos) found = file + ":" + *row[1];
  if (found.empty()) throw std::runtime_error("no event mentions " + needle + " in " + file);
  return found;
}

bool table_exists(const mariadb_sandbox& server, const std::string& db, const std::string& table) {
  return *server.query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
                       db + "' AND TABLE_NAME = '" + table + "'")[0][0] == "1";
}

}  // namespace

BOOST_AUTO_TEST_CASE(dm_commands_and_api_against_a_real_worker) {
  mariadb_sandbox up_a{sandbox_options::with_server_id(1)};
  mariadb_sandbox up_b{sandbox_options::with_server_id(3)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  auto tokens = token_file();
  worker_process worker{options_with_token(tokens)};

  // A password in DM's encrypted shape that no key here decrypts is refused by name.
  auto dm_looking = worker.write_file(
      "dm.yaml", std::regex_replace(source_yaml("dmpw", up_a), std::regex{"password: \"\""},
                                    "password: \"Dw4NDAsKCQgHBgUEAwIBAEAW3M5oLQA8XEPYoA==\""));
  auto refused = worker.dmctl({"operate-source", "create", dm_looking});
  BOOST_CHECK_NE(refused.exit_code, 0);
  BOOST_CHECK_MESSAGE(refused.err.find("source dmpw: from.password looks encrypted by DM's "
                                       "dmctl encrypt but does not decrypt") != std::string::npos,
                      refused.err);

  require_ok(worker.dmctl({"operate-source", "create", worker.write_file("a.yaml", source_yaml("a", up_a))}),
             "source a");
  require_ok(worker.dmctl({"operate-source", "create", worker.write_file("b.yaml", source_yaml("b", up_b))}),
             "source b");
  require_ok(worker.dmctl({"start-task", worker.write_file("t.yaml", task_yaml("t", {"a", "b"}, downstream))}),
             "start-task");
  up_a.execute("CREATE DATABASE a_db; CREATE TABLE a_db.t (id INT PRIMARY KEY, v INT)");
  up_b.execute("CREATE DATABASE b_db; CREATE TABLE b_db.t (id INT PRIMARY KEY, v INT)");
  wait_synced(worker, "t", up_a, std::chrono::seconds{120}, "a");
  wait_synced(worker, "t", up_b, std::chrono::seconds{120}, "b");

  // query-status -s, --json before and after the words.
  for (auto args : {std::vector<std::string>{"--json", "query-status", "t", "-s", "a"},
                    std::vector<std::string>{"query-status", "-s", "a", "t", "--json"}}) {
    auto status = worker.dmctl_json(args);
    auto& parts = status["tasks"][0]["sources"];
    BOOST_REQUIRE_MESSAGE(parts.size() == 1, status.dump());
    BOOST_CHECK_EQUAL(parts[0]["source_id"], "a");
  }

  // pause-task -s pauses one part; the other goes on; resume-task -s resumes it.
  require_ok(worker.dmctl({"pause-task", "t", "-s", "a"}), "pause-task -s a");
  BOOST_CHECK_EQUAL(task_source_status(worker, "t", "a")["stage"], "Paused");
  BOOST_CHECK_EQUAL(task_source_status(worker, "t", "b")["stage"], "Running");
  up_a.execute("INSERT INTO a_db.t VALUES (1, 1)");
  up_b.execute("INSERT INTO b_db.t VALUES (1, 1)");
  wait_synced(worker, "t", up_b, std::chrono::seconds{60}, "b");
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t"), 0u);
  require_ok(worker.dmctl({"resume-task", "-s", "a", "t"}), "resume-task -s a");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t"), 1u);
  // A real failed event: the downstream lacks the table. binlog list names it, revert has
  // nothing to revert, inject creates the table and the event applies.
  up_a.execute("CREATE TABLE a_db.x (id INT PRIMARY KEY)");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  downstream.execute("DROP TABLE a_db.x");
  up_a.execute("INSERT INTO a_db.x VALUES (7)");
  auto paused = wait_task_stage(worker, "t", "Paused", std::chrono::seconds{60}, "a");
  auto listed = worker.dmctl_json({"binlog", "list", "t"});
  BOOST_REQUIRE_MESSAGE(listed["errors"].size() == 1, listed.dump());
  BOOST_CHECK_EQUAL(listed["errors"][0]["source"], "a");
  BOOST_CHECK_EQUAL(listed["errors"][0]["binlog"],
                    paused["error_binlog"]["file"].get<std::string>() + ":" +
                        std::to_string(paused["error_binlog"]["pos"].get<int>()));
  auto revert = worker.dmctl({"binlog", "revert", "t"});
  BOOST_CHECK_NE(revert.exit_code, 0);
  BOOST_CHECK_MESSAGE(revert.err.find("nothing to revert") != std::string::npos, revert.err);
  require_ok(worker.dmctl({"binlog", "inject", "t", "-s", "a",
                           "CREATE TABLE a_db.x (id INT PRIMARY KEY)"}),
             "binlog inject");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.x"), 1u);

  // binlog -b: decisions ahead about events the syncer has not reached. Skip, on a running task
  // (its relay held so the syncer cannot reach the event first), then replace on a paused one.
  require_ok(worker.dmctl({"pause-relay", "-s", "a"}), "pause-relay a");
  up_a.execute("CREATE TABLE a_db.skipme (id INT PRIMARY KEY)");
  require_ok(worker.dmctl({"binlog", "skip", "t", "-s", "a", "-b", event_start(up_a, "skipme")}),
             "binlog skip -b");
  require_ok(worker.dmctl({"resume-relay", "-s", "a"}), "resume-relay a");
  up_a.execute("INSERT INTO a_db.t VALUES (20, 20)");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t WHERE id = 20"), 1u);
  BOOST_CHECK(!table_exists(downstream, "a_db", "skipme"));
  require_ok(worker.dmctl({"pause-task", "t", "-s", "a"}), "pause-task a");
  up_a.execute("CREATE TABLE a_db.r1 (id INT PRIMARY KEY)");
  auto r1 = event_start(up_a, "r1");
  // DM's relay form of the position works as well.
  auto relay_form = std::regex_replace(r1, std::regex{"^(.*)\\.([0-9]+):"}, "$1|000001.$2:");
  require_ok(worker.dmctl({"binlog", "replace", "t", "-s", "a", "-b", relay_form,
                           "CREATE TABLE a_db.r2 (id INT PRIMARY KEY)"}),
             "binlog replace -b");
  require_ok(worker.dmctl({"resume-task", "t", "-s", "a"}), "resume-task a");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK(!table_exists(downstream, "a_db", "r1"));
  BOOST_CHECK(table_exists(downstream, "a_db", "r2"));
  // inject -b runs the statements at the event, then the event itself.
  require_ok(worker.dmctl({"pause-task", "t", "-s", "a"}), "pause-task a for inject");
  up_a.execute("CREATE TABLE a_db.child (id INT PRIMARY KEY); INSERT INTO a_db.child VALUES (1)");
  require_ok(worker.dmctl({"binlog", "inject", "t", "-s", "a", "-b", event_start(up_a, "child"),
                           "CREATE TABLE a_db.parent (id INT PRIMARY KEY)"}),
             "binlog inject -b");
  require_ok(worker.dmctl({"resume-task", "t", "-s", "a"}), "resume-task a after inject -b");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK(table_exists(downstream, "a_db", "parent"));
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.child"), 1u);
  // revert withdraws a waiting decision; a second revert has nothing to withdraw; a position
  // already applied is refused.
  require_ok(worker.dmctl({"binlog", "skip", "t", "-s", "a", "-b", "binlog.000999:4"}),
             "binlog skip -b far ahead");
  require_ok(worker.dmctl({"binlog", "revert", "t", "-s", "a", "-b", "binlog.000999:4"}),
             "binlog revert");
  BOOST_CHECK_NE(worker.dmctl({"binlog", "revert", "t", "-s", "a"}).exit_code, 0);
  // That failure counts in DM's dm_worker_operate_error, by command.
  auto operate_errors = scrape_metrics(worker);
  auto failed =
      operate_errors.find("dm_worker_operate_error{worker=\"worker-1\",type=\"handleerr\"}");
  BOOST_REQUIRE(failed != operate_errors.end());
  BOOST_CHECK_GE(failed->second, 1.0);
  auto unscoped = worker.dmctl({"binlog", "skip", "t", "-b", "binlog.000999:4"});
  BOOST_CHECK_MESSAGE(unscoped.err.find("exactly one -s") != std::string::npos, unscoped.err);
  auto behind = worker.dmctl({"binlog", "skip", "t", "-s", "a", "-b", r1});
  BOOST_CHECK_MESSAGE(behind.err.find("has applied everything before") != std::string::npos,
                      behind.err);
  // A position where no event starts pauses the part when the syncer passes it, saying so.
  require_ok(worker.dmctl({"pause-relay", "-s", "a"}), "pause-relay a again");
  up_a.execute("CREATE TABLE a_db.late (id INT PRIMARY KEY)");
  up_a.execute("INSERT INTO a_db.t VALUES (21, 21)");
  auto late_ddl = event_start(up_a, "late");
  auto inside = late_ddl.substr(0, late_ddl.find(':') + 1) +
                std::to_string(std::stoul(late_ddl.substr(late_ddl.find(':') + 1)) + 1);
  require_ok(worker.dmctl({"binlog", "skip", "t", "-s", "a", "-b", inside}), "skip -b inside");
  require_ok(worker.dmctl({"resume-relay", "-s", "a"}), "resume-relay a again");
  auto stuck = wait_task_stage(worker, "t", "Paused", std::chrono::seconds{60}, "a");
  BOOST_CHECK_MESSAGE(stuck["last_error"].get<std::string>().find(
                          "no event starts at that position") != std::string::npos,
                      stuck.dump());
  require_ok(worker.dmctl({"binlog", "revert", "t", "-s", "a"}), "revert the bad position");
  require_ok(worker.dmctl({"resume-task", "t", "-s", "a"}), "resume after revert");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK(table_exists(downstream, "a_db", "late"));
  up_a.execute("DROP TABLE IF EXISTS a_db.skipme, a_db.r1, a_db.late");
  downstream.execute("DROP TABLE a_db.r2, a_db.parent");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");

  // Relay commands: pause-relay stops reading, resume-relay catches up; stop/start-relay
  // switch enable-relay (get-config shows it).
  require_ok(worker.dmctl({"pause-relay", "-s", "b"}), "pause-relay");
  auto sources = worker.dmctl_json({"operate-source", "show", "b"});
  BOOST_CHECK_MESSAGE(sources["sources"][0]["relay"]["stage"] == "Paused", sources.dump());
  auto held_at = sources["sources"][0]["relay"]["relay_binlog"];
  up_b.execute("INSERT INTO b_db.t VALUES (2, 2)");
  std::this_thread::sleep_for(std::chrono::seconds{2});
  sources = worker.dmctl_json({"operate-source", "show", "b"});
  BOOST_CHECK_EQUAL(sources["sources"][0]["relay"]["relay_binlog"], held_at);
  require_ok(worker.dmctl({"resume-relay", "-s", "b"}), "resume-relay");
  wait_synced(worker, "t", up_b, std::chrono::seconds{60}, "b");
  require_ok(worker.dmctl({"start-relay", "-s", "b", "worker-1"}), "start-relay");
  BOOST_CHECK(worker.dmctl({"get-config", "source", "b"}).out.find("enable-relay: true") !=
              std::string::npos);
  require_ok(worker.dmctl({"stop-relay", "-s", "b"}), "stop-relay");
  BOOST_CHECK(worker.dmctl({"get-config", "source", "b"}).out.find("enable-relay: false") !=
              std::string::npos);

  // show-ddl-locks, get-config.
  auto locks = worker.dmctl_json({"show-ddl-locks"});
  BOOST_CHECK_EQUAL(locks["locks"], json::array());
  BOOST_CHECK(worker.dmctl({"show-ddl-locks", "t"}).out.find("no DDL locks") != std::string::npos);
  BOOST_CHECK_NE(worker.dmctl({"show-ddl-locks", "nope"}).exit_code, 0);
  auto task_config = worker.dmctl({"get-config", "task", "t"});
  require_ok(task_config, "get-config task");
  BOOST_CHECK_MESSAGE(task_config.out.find("name: t\n") != std::string::npos, task_config.out);
  BOOST_CHECK(task_config.out.find("source-id: b") != std::string::npos);
  auto worker_config = worker.dmctl_json({"get-config", "worker", "worker-1"});
  BOOST_CHECK_EQUAL(worker_config["config"]["name"], "worker-1");

  // binlog-schema: list shows the downstream structure the syncer reads; update --from-target
  // and delete have nothing to do; update from a file is refused, saying why.
  auto schema = worker.dmctl({"binlog-schema", "list", "t", "a_db", "t", "-s", "a"});
  require_ok(schema, "binlog-schema list");
  BOOST_CHECK_MESSAGE(schema.out.find("CREATE TABLE `t`") != std::string::npos, schema.out);
  require_ok(worker.dmctl({"binlog-schema", "update", "t", "a_db", "t", "--from-target"}),
             "binlog-schema update --from-target");
  auto from_file = worker.dmctl({"binlog-schema", "update", "t", "a_db", "t",
                                 worker.write_file("s.sql", "CREATE TABLE t (id INT)")});
  BOOST_CHECK_NE(from_file.exit_code, 0);
  BOOST_CHECK_MESSAGE(from_file.err.find("change the downstream table instead") !=
                          std::string::npos,
                      from_file.err);
  BOOST_CHECK(worker.dmctl({"binlog-schema", "delete", "t", "a_db", "t"}).out.find(
                  "nothing to delete") != std::string::npos);
  BOOST_CHECK_NE(worker.dmctl({"binlog-schema", "list", "t", "a_db", "nope"}).exit_code, 0);

  // DM's HTTP API with curl.
  BOOST_CHECK_EQUAL(curl(worker, "GET", "/api/v1/tasks", "", false).first, 401);
  auto [code, body] = curl(worker, "GET", "/api/v1/sources?with_status=true");
  BOOST_REQUIRE_MESSAGE(code == 200, body);
  auto listed_sources = json::parse(body);
  BOOST_CHECK_EQUAL(listed_sources["total"], 2);
  BOOST_CHECK_EQUAL(listed_sources["data"][0]["source_name"], "a");
  BOOST_CHECK_EQUAL(listed_sources["data"][0]["password"], "******");
  BOOST_CHECK_EQUAL(listed_sources["data"][1]["status_list"][0]["relay_status"]["stage"],
                    "Running");
  std::tie(code, body) = curl(worker, "GET", "/api/v1/tasks");
  BOOST_REQUIRE_MESSAGE(code == 200, body);
  BOOST_CHECK_EQUAL(json::parse(body)["data"][0]["name"], "t");
  BOOST_CHECK_EQUAL(json::parse(body)["data"][0]["source_config"]["source_conf"].size(), 2u);
  std::tie(code, body) = curl(worker, "GET", "/api/v1/tasks/t/status");
  BOOST_REQUIRE_MESSAGE(code == 200, body);
  BOOST_CHECK_EQUAL(json::parse(body)["total"], 2);
  BOOST_CHECK_EQUAL(curl(worker, "GET", "/api/v1/tasks/nope/status").first, 404);
  std::tie(code, body) = curl(worker, "POST", "/api/v1/tasks/t/stop",
                              R"({"source_name_list": ["b"]})");
  BOOST_REQUIRE_MESSAGE(code == 200, code << " " << body);
  BOOST_CHECK_EQUAL(task_source_status(worker, "t", "b")["stage"], "Paused");
  BOOST_CHECK_EQUAL(task_source_status(worker, "t", "a")["stage"], "Running");
  std::tie(code, body) = curl(worker, "POST", "/api/v1/tasks/t/start", "{}");
  BOOST_REQUIRE_MESSAGE(code == 200, code << " " << body);
  BOOST_CHECK_EQUAL(task_source_status(worker, "t", "b")["stage"], "Running");

  // config export, remove everything, config import: the same sources and task come back.
  auto dir = worker.dir() + "/exported";
  require_ok(worker.dmctl({"config", "export", "-d", dir}), "config export");
  struct stat info {};
  BOOST_REQUIRE_EQUAL(::stat((dir + "/sources/a.yaml").c_str(), &info), 0);
  BOOST_CHECK_EQUAL(info.st_mode & 0777, 0600u);
  BOOST_CHECK(std::filesystem::exists(dir + "/tasks/t.yaml"));
  require_ok(worker.dmctl({"stop-task", "t"}), "stop-task");
  require_ok(worker.dmctl({"operate-source", "stop", "a"}), "stop a");
  require_ok(worker.dmctl({"operate-source", "stop", "b"}), "stop b");
  require_ok(worker.dmctl({"config", "import", "-d", dir}), "config import");
  auto again = worker.dmctl_json({"query-status"});
  BOOST_CHECK_EQUAL(again["sources"].size(), 2u);
  BOOST_REQUIRE_EQUAL(again["tasks"].size(), 1u);
  BOOST_CHECK_EQUAL(again["tasks"][0]["sources"].size(), 2u);
  auto twice = worker.dmctl({"config", "import", "-d", dir});
  BOOST_CHECK_MESSAGE(twice.out.find("left as it is") != std::string::npos, twice.out);

  // The recreated task replicates; both databases end identical.
  up_a.execute("INSERT INTO a_db.t VALUES (3, 3)");
  up_b.execute("INSERT INTO b_db.t VALUES (3, 3)");
  wait_synced(worker, "t", up_a, std::chrono::seconds{60}, "a");
  wait_synced(worker, "t", up_b, std::chrono::seconds{60}, "b");
  for (auto [server, db] : {std::make_pair(&up_a, "a_db"), std::make_pair(&up_b, "b_db")}) {
    auto diff = compare_database(*server, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), diff);
  }

  // stop-task -s a: the part on a ends and is forgotten (across a restart, and in the metrics);
  // the part on b goes on. stop-task -s b then removes the task.
  auto partial = worker.dmctl_json({"stop-task", "-s", "a", "t"});
  BOOST_CHECK_MESSAGE(partial["sources"] == json::array({"a"}), partial.dump());
  up_a.execute("INSERT INTO a_db.t VALUES (4, 4)");
  up_b.execute("INSERT INTO b_db.t VALUES (4, 4)");
  wait_synced(worker, "t", up_b, std::chrono::seconds{60}, "b");
  auto has_part_a = [&] {
    for (auto& [line, value] : scrape_metrics(worker))
      if (line.find("task=\"t\"") != std::string::npos &&
          line.find("source_id=\"a\"") != std::string::npos)
        return true;
    return false;
  };
  BOOST_CHECK(!has_part_a());
  worker.kill();
  worker.start();
  auto parts = worker.dmctl_json({"query-status", "t"})["tasks"][0]["sources"];
  BOOST_REQUIRE_MESSAGE(parts.size() == 1, parts.dump());
  BOOST_CHECK_EQUAL(parts[0]["source_id"], "b");
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t WHERE id = 4"), 0u);
  BOOST_CHECK(worker.dmctl({"get-config", "task", "t"}).out.find("source-id: a") ==
              std::string::npos);
  up_b.execute("INSERT INTO b_db.t VALUES (5, 5)");
  wait_synced(worker, "t", up_b, std::chrono::seconds{60}, "b");
  BOOST_CHECK(!has_part_a());
  BOOST_CHECK_NE(worker.dmctl({"stop-task", "t", "-s", "a"}).exit_code, 0);
  require_ok(worker.dmctl({"stop-task", "t", "-s", "b"}), "stop-task -s b");
  BOOST_CHECK(worker.dmctl_json({"query-status"})["tasks"].empty());

  // start-task --start-time: the first transaction at or after the time, not before it.
  up_a.execute("INSERT INTO a_db.t VALUES (10, 10)");
  std::this_thread::sleep_for(std::chrono::milliseconds{1500});
  auto start = std::stoll(*up_a.query("SELECT UNIX_TIMESTAMP()")[0][0]);
  std::this_thread::sleep_for(std::chrono::milliseconds{1500});
  up_a.execute("INSERT INTO a_db.t VALUES (11, 11)");
  wait_relay_caught_up(worker, "a", up_a);
  std::time_t start_t = static_cast<std::time_t>(start);
  char start_text[32];
  std::strftime(start_text, sizeof start_text, "%Y-%m-%d %H:%M:%S", std::gmtime(&start_t));
  auto late = worker.write_file("late.yaml", task_yaml("late", {"a"}, downstream));
  auto too_early = worker.dmctl({"start-task", late, "--start-time", "2000-01-01 00:00:00"});
  BOOST_CHECK_NE(too_early.exit_code, 0);
  BOOST_CHECK_MESSAGE(too_early.err.find("the relay log begins at") != std::string::npos,
                      too_early.err);
  BOOST_CHECK_MESSAGE(worker.dmctl({"start-task", late, "--start-time", "yesterday"})
                              .err.find("is not a time like") != std::string::npos,
                      "a bad --start-time is named");
  require_ok(worker.dmctl({"start-task", "--start-time", start_text, late}), "--start-time");
  wait_synced(worker, "late", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t WHERE id = 11"), 1u);
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t WHERE id = 10"), 0u);

  // meta with binlog-gtid alone: the first transaction the set lacks, not one it holds.
  require_ok(worker.dmctl({"stop-task", "late"}), "stop-task late");
  up_a.execute("INSERT INTO a_db.t VALUES (9, 9)");
  auto executed = *up_a.query("SELECT @@gtid_binlog_pos")[0][0];
  up_a.execute("INSERT INTO a_db.t VALUES (12, 12)");
  wait_relay_caught_up(worker, "a", up_a);
  auto by_gtid = worker.write_file(
      "gtid.yaml", task_yaml("gtid", {"a"}, downstream,
                             "    meta:\n      binlog-gtid: \"" + executed + "\"\n"));
  require_ok(worker.dmctl({"start-task", by_gtid}), "start-task from a GTID set");
  wait_synced(worker, "gtid", up_a, std::chrono::seconds{60}, "a");
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t WHERE id = 12"), 1u);
  BOOST_CHECK_EQUAL(row_count(downstream, "a_db.t WHERE id = 9"), 0u);
  std::filesystem::remove(tokens);
}

// DM's filter names that need the table's definition before the change (value range decrease,
// precision decrease, drop unique key, remove auto increment) decide on real ALTERs: compared
// with the downstream table, ignored or made an error exactly when the change does that, while
// the other changes of the same tables apply.
BOOST_AUTO_TEST_CASE(filter_names_told_by_the_old_definition_decide_on_real_changes) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  auto extra =
      "    filter-rules: [\"narrowing\", \"keep-keys\"]\n"
      "filters:\n"
      "  narrowing:\n    schema-pattern: \"f_db\"\n    table-pattern: \"strict_*\"\n"
      "    events: [\"value range decrease\", \"Precision Decrease\"]\n    action: Error\n"
      "  keep-keys:\n    schema-pattern: \"f_db\"\n    table-pattern: \"keyed\"\n"
      "    events: [\"drop unique key\", \"remove auto increment\"]\n    action: Ignore\n";
  create_source_and_start_task(worker, "f", upstream, task_yaml("filters", {"f"}, downstream, extra));
  upstream.execute(
      "CREATE DATABASE f_db; CREATE TABLE f_db.strict_t (id INT PRIMARY KEY, name VARCHAR(20), "
      "price DECIMAL(10,2)); CREATE TABLE f_db.keyed (id INT AUTO_INCREMENT PRIMARY KEY, code "
      "VARCHAR(10), n INT, UNIQUE KEY uk_code (code), KEY k_n (n)); INSERT INTO f_db.strict_t "
      "VALUES (1, 'one', 1.25); INSERT INTO f_db.keyed (code, n) VALUES ('a', 1), ('b', 2)");
  auto column_type = [&](const std::string& table, const std::string& column) {
    return *downstream.query("SELECT CONCAT(COLUMN_TYPE, ' ', EXTRA) FROM information_schema."
                             "COLUMNS WHERE TABLE_SCHEMA = 'f_db' AND TABLE_NAME = '" + table +
                             "' AND COLUMN_NAME = '" + column + "'")[0][0];
  };
  auto has_index = [&](const std::string& index) {
    return *downstream.query("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                             "TABLE_SCHEMA = 'f_db' AND TABLE_NAME = 'keyed' AND INDEX_NAME = '" +
                             index + "'")[0][0] != "0";
  };

  // keep-keys ignores what drops a unique key or an auto-increment, not the rest.
  upstream.execute("ALTER TABLE f_db.keyed DROP INDEX uk_code");
  upstream.execute("ALTER TABLE f_db.keyed MODIFY id INT NOT NULL");
  upstream.execute("ALTER TABLE f_db.keyed DROP INDEX k_n");
  upstream.execute("INSERT INTO f_db.keyed VALUES (10, 'c', 3)");
  // Widening passes the narrowing filter.
  upstream.execute("ALTER TABLE f_db.strict_t MODIFY name VARCHAR(40), MODIFY price DECIMAL(12,2)");
  upstream.execute("INSERT INTO f_db.strict_t VALUES (2, 'two', 2.5)");
  wait_synced(worker, "filters", upstream, std::chrono::seconds{60}, "f");
  BOOST_CHECK_MESSAGE(has_index("uk_code"), "the unique key was dropped downstream");
  BOOST_CHECK_MESSAGE(!has_index("k_n"), "the plain index was not dropped downstream");
  BOOST_CHECK_EQUAL(column_type("keyed", "id"), "int(11) auto_increment");
  BOOST_CHECK_EQUAL(column_type("strict_t", "name"), "varchar(40) ");
  BOOST_CHECK_EQUAL(column_type("strict_t", "price"), "decimal(12,2) ");

  // Narrowing stops the part, naming the filter and what the change does.
  upstream.execute("ALTER TABLE f_db.strict_t CHANGE name name VARCHAR(10), MODIFY price "
                   "DECIMAL(12,1)");
  upstream.execute("INSERT INTO f_db.strict_t VALUES (3, 'three', 3.5)");
  auto paused = wait_task_stage(worker, "filters", "Paused", std::chrono::seconds{60}, "f");
  auto error = paused["last_error"].get<std::string>();
  BOOST_CHECK_MESSAGE(error.find("filter narrowing makes alter table (modify column, value range "
                                 "decrease, precision decrease, multi schema change) on "
                                 "f_db.strict_t an error") != std::string::npos,
                      error);
  BOOST_CHECK_EQUAL(row_count(downstream, "f_db.strict_t"), 2u);
  require_ok(worker.dmctl({"binlog", "skip", "filters"}), "binlog skip");
  wait_synced(worker, "filters", upstream, std::chrono::seconds{60}, "f");
  BOOST_CHECK_EQUAL(column_type("strict_t", "price"), "decimal(12,2) ");
  // The same rows; prices as the skipped narrowing would have rounded them.
  for (auto select : {"SELECT id, name, ROUND(price, 1) FROM f_db.strict_t ORDER BY id",
                      "SELECT * FROM f_db.keyed ORDER BY id"})
    BOOST_CHECK_MESSAGE(upstream.query(select) == downstream.query(select), select);
}

// collation_compatible: strict: the schema changes the syncer runs name the upstream's default
// collation wherever the upstream's statement names a character set alone (seen in the
// downstream's general log); the copy's statements load; the database compares identical.
BOOST_AUTO_TEST_CASE(strict_collations_name_the_upstream_default_in_copy_and_sync) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  upstream.execute(
      "CREATE DATABASE coll CHARACTER SET latin1; CREATE TABLE coll.copied (id INT PRIMARY KEY, "
      "name VARCHAR(20) CHARACTER SET utf8mb4) CHARACTER SET latin1; INSERT INTO coll.copied "
      "VALUES (1, 'één')");
  downstream.execute("SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1");
  auto task = std::regex_replace(task_yaml("strict", {"s"}, downstream,
                                           "collation_compatible: strict\n"),
                                 std::regex{"task-mode: incremental"}, "task-mode: all");
  create_source_and_start_task(worker, "s", upstream, task);
  wait_synced(worker, "strict", upstream, std::chrono::seconds{120}, "s");
  upstream.execute(
      "CREATE TABLE coll.synced (id INT PRIMARY KEY, a VARCHAR(10) CHARSET utf8mb4, b "
      "VARCHAR(10) CHARSET latin1 COLLATE latin1_bin); ALTER TABLE coll.copied ADD COLUMN c "
      "TEXT CHARACTER SET utf8mb4; INSERT INTO coll.synced VALUES (1, 'ä', 'b'); UPDATE "
      "coll.copied SET c = 'ü'");
  wait_synced(worker, "strict", upstream, std::chrono::seconds{120}, "s");
  auto run = [&](const std::string& like) {
    return *downstream.query("SELECT COUNT(*) FROM mysql.general_log WHERE command_type = "
                             "'Query' AND CONVERT(argument USING utf8mb4) LIKE '" + like +
                             "'")[0][0];
  };
  // (MariaDB's SHOW CREATE names every collation, so the copy's statements need none added;
  // MySQL's leaves the defaults out.)
  BOOST_CHECK_EQUAL(run("CREATE TABLE `coll`.`synced` (id INT PRIMARY KEY, a VARCHAR(10) CHARSET "
                        "utf8mb4 COLLATE utf8mb4_general_ci, b VARCHAR(10) CHARSET latin1 "
                        "COLLATE latin1_bin)"),
                    "1");
  BOOST_CHECK_EQUAL(run("ALTER TABLE `coll`.`copied` ADD COLUMN c TEXT CHARACTER SET utf8mb4 "
                        "COLLATE utf8mb4_general_ci"),
                    "1");
  downstream.execute("SET GLOBAL general_log = 0");
  auto diff = compare_database(upstream, downstream, "coll");
  BOOST_CHECK_MESSAGE(diff.empty(), diff);
}
