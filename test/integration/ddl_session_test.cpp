// Schema changes run downstream in the session the binlog recorded for them, as a replica's SQL
// thread runs them: the character set of their text, the server collation a CREATE DATABASE
// without one takes, the sql_mode they were read under (ANSI_QUOTES, NO_BACKSLASH_ESCAPES,
// PIPES_AS_CONCAT), the time zone and the statement's own time (what CURRENT_TIMESTAMP fills
// existing rows with). The task is paused while they are made upstream, so the downstream's
// clock is later than theirs when they are applied.
#define BOOST_TEST_MODULE ddl_session
#include <boost/test/unit_test.hpp>

#include <thread>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

// Statements of one upstream session (one connection), in order.
void in_one_session(const mariadb_sandbox& server, const std::vector<std::string>& statements) {
  auto conn = server.connect();
  for (auto& s : statements)
    if (auto err = conn.execute(s))
      throw std::runtime_error(s + ": " + dm::describe(err));
}

std::string value(const mariadb_sandbox& server, const std::string& sql) {
  auto rows = server.query(sql);
  return rows.empty() || rows[0].empty() ? "(none)" : rows[0][0].value_or("NULL");
}

}  // namespace

BOOST_AUTO_TEST_CASE(schema_changes_run_in_the_session_the_binlog_recorded) {
  mariadb_sandbox upstream{sandbox_options::with_server_id(1)};
  mariadb_sandbox downstream{sandbox_options::with_server_id(2)};
  worker_process worker;
  upstream.execute("CREATE DATABASE base CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  upstream.execute("CREATE TABLE base.t (id INT PRIMARY KEY, v VARCHAR(20))");
  downstream.execute("CREATE DATABASE base CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  downstream.execute("CREATE TABLE base.t (id INT PRIMARY KEY, v VARCHAR(20))");
  create_source_and_start_task(worker, "up", upstream, task_yaml("sess", {"up"}, downstream));
  upstream.execute("INSERT INTO base.t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  wait_synced(worker, "sess", upstream);
  BOOST_REQUIRE_EQUAL(worker.dmctl({"pause-task", "sess"}).exit_code, 0);

  // A database that takes the session's server collation (the server's own default differs).
  in_one_session(upstream, {"SET collation_server = utf8mb3_general_ci", "CREATE DATABASE d1",
                            "CREATE TABLE d1.t (id INT PRIMARY KEY, s VARCHAR(10))"});
  // Text in the session's client character set: latin1 bytes of a default and a comment.
  in_one_session(upstream,
                 {"SET NAMES latin1",
                  "CREATE TABLE base.l (id INT PRIMARY KEY, c VARCHAR(10) DEFAULT '\xE9t\xE9' "
                  "COMMENT 'caf\xE9') CHARACTER SET utf8mb4"});
  // Identifiers in double quotes, a backslash that is just a backslash, || as concatenation.
  in_one_session(upstream,
                 {"SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,PIPES_AS_CONCAT'",
                  "CREATE TABLE \"base\".\"quoted\" (\"id\" INT PRIMARY KEY, \"v\" VARCHAR(10) "
                  "DEFAULT 'a\\b', \"w\" VARCHAR(10) DEFAULT ('x' || 'y'))",
                  "ALTER TABLE \"base\".\"t\" ADD COLUMN \"bs\" VARCHAR(10) DEFAULT 'c:\\d'"});
  // The statement's own time and time zone: existing rows get them, not the downstream's now.
  in_one_session(upstream,
                 {"SET time_zone = '+05:30'", "SET timestamp = 1580637600.25",
                  "ALTER TABLE base.t ADD COLUMN at DATETIME(2) DEFAULT CURRENT_TIMESTAMP(2), "
                  "ADD COLUMN ts TIMESTAMP(2) NOT NULL DEFAULT CURRENT_TIMESTAMP(2), "
                  "ADD COLUMN fixed TIMESTAMP NULL DEFAULT '2021-01-01 00:00:00'"});
  // Without SET timestamp: the statement's time is when it ran upstream.
  in_one_session(upstream, {"ALTER TABLE base.t ADD COLUMN added DATETIME DEFAULT NOW()"});
  std::this_thread::sleep_for(std::chrono::seconds{2});
  BOOST_REQUIRE_EQUAL(worker.dmctl({"resume-task", "sess"}).exit_code, 0);
  upstream.execute("INSERT INTO d1.t VALUES (1, '你好')");
  upstream.execute("INSERT INTO base.quoted (id) VALUES (1)");
  upstream.execute("INSERT INTO base.l (id) VALUES (1)");
  upstream.execute("INSERT INTO base.t (id, v) VALUES (4, 'd')");
  wait_synced(worker, "sess", upstream);

  for (auto* db : {"base", "d1"}) {
    auto diff = compare_database(upstream, downstream, db);
    BOOST_CHECK_MESSAGE(diff.empty(), db << ": " << diff);
  }
  // What the comparison relies on, spelled out.
  BOOST_CHECK_EQUAL(value(downstream, "SELECT DEFAULT_COLLATION_NAME FROM "
                                      "information_schema.SCHEMATA WHERE SCHEMA_NAME = 'd1'"),
                    "utf8mb3_general_ci");
  BOOST_CHECK_EQUAL(value(downstream, "SELECT s FROM d1.t"), "你好");
  BOOST_CHECK_EQUAL(value(downstream, "SELECT c FROM base.l"), "été");
  BOOST_CHECK_EQUAL(value(downstream, "SELECT CONCAT(v, '|', w) FROM base.quoted"), "a\\b|xy");
  BOOST_CHECK_EQUAL(value(downstream, "SELECT at FROM base.t WHERE id = 1"),
                    "2020-02-02 15:30:00.25");
  BOOST_CHECK_EQUAL(value(downstream, "SELECT UNIX_TIMESTAMP(ts) FROM base.t WHERE id = 2"),
                    "1580637600.25");
  BOOST_CHECK_EQUAL(value(downstream, "SELECT COUNT(DISTINCT added) FROM base.t WHERE id <= 3"),
                    "1");
  BOOST_CHECK_EQUAL(value(downstream, "SELECT added FROM base.t WHERE id = 1"),
                    value(upstream, "SELECT added FROM base.t WHERE id = 1"));
}
