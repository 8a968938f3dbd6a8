// How a query event's status variables become the session its schema change runs in downstream,
// and how statements logged under ANSI_QUOTES / NO_BACKSLASH_ESCAPES are read.
#include <boost/test/unit_test.hpp>

#include "sync/ddl_plan.hpp"
#include "sync/ddl_session.hpp"
#include "test/unit/test_util.hpp"

using namespace dm;

namespace {

upstream_session_facts facts() {
  upstream_session_facts f;
  f.collations = {{8, {"latin1", "latin1_swedish_ci"}},
                  {33, {"utf8mb3", "utf8mb3_general_ci"}},
                  {45, {"utf8mb4", "utf8mb4_general_ci"}}};
  f.system_time_zone = "+01:00";
  return f;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ddl_session_test)

BOOST_AUTO_TEST_CASE(sql_mode_bits_are_named_as_the_upstream_flavor_numbers_them) {
  struct row {
    uint64_t mode;
    bool mariadb;
    std::vector<std::string> names;
  };
  const std::vector<row> table = {
      {0, true, {}},
      {1ull << 2, true, {"ANSI_QUOTES"}},
      {(1ull << 20) | (1ull << 21), false, {"NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES"}},
      // MariaDB 10.11's default: STRICT_TRANS_TABLES, ERROR_FOR_DIVISION_BY_ZERO,
      // NO_AUTO_CREATE_USER, NO_ENGINE_SUBSTITUTION.
      {1411383296, true,
       {"STRICT_TRANS_TABLES", "ERROR_FOR_DIVISION_BY_ZERO", "NO_AUTO_CREATE_USER",
        "NO_ENGINE_SUBSTITUTION"}},
      // Bit 4 is IGNORE_BAD_TABLE_OPTIONS on MariaDB and unused on MySQL; bit 32 differs too.
      {1ull << 4, true, {"IGNORE_BAD_TABLE_OPTIONS"}},
      {1ull << 4, false, {}},
      {1ull << 32, true, {"EMPTY_STRING_IS_NULL"}},
      {1ull << 32, false, {"TIME_TRUNCATE_FRACTIONAL"}},
      // Bits no flavor defines are left out.
      {1ull << 50, true, {}},
  };
  for (auto& r : table)
    BOOST_CHECK_MESSAGE(sql_mode_names(r.mode, r.mariadb) == r.names,
                        "mode " << r.mode << (r.mariadb ? " (MariaDB)" : " (MySQL)"));
}

BOOST_AUTO_TEST_CASE(an_event_session_names_collations_time_zone_and_timestamp) {
  binlog::query_status status;
  status.charset_client = 8;
  status.collation_connection = 8;
  status.collation_server = 33;
  status.sql_mode = 1ull << 2;
  status.time_zone = "+05:30";
  status.microseconds = 250000;
  auto s = session_of(status, 1580637600, true, facts());
  DM_REQUIRE_OK(s);
  BOOST_CHECK_EQUAL(s->character_set_client.value_or(""), "latin1");
  BOOST_CHECK_EQUAL(s->collation_connection.value_or(""), "latin1_swedish_ci");
  BOOST_CHECK_EQUAL(s->collation_server.value_or(""), "utf8mb3_general_ci");
  BOOST_REQUIRE(s->sql_mode);
  BOOST_CHECK(*s->sql_mode == std::vector<std::string>{"ANSI_QUOTES"});
  BOOST_CHECK_EQUAL(s->time_zone.value_or(""), "+05:30");
  BOOST_CHECK_EQUAL(s->timestamp, "1580637600.250000");

  // SYSTEM means the upstream's zone, not the downstream's; absent variables stay unset.
  binlog::query_status system;
  system.time_zone = "SYSTEM";
  auto sys = session_of(system, 7, false, facts());
  DM_REQUIRE_OK(sys);
  BOOST_CHECK_EQUAL(sys->time_zone.value_or(""), "+01:00");
  BOOST_CHECK(!sys->character_set_client && !sys->collation_server && !sys->sql_mode);
  BOOST_CHECK_EQUAL(sys->timestamp, "7");

  // A collation the upstream does not list is an error naming it.
  binlog::query_status unknown;
  unknown.collation_server = 999;
  auto bad = session_of(unknown, 1, true, facts());
  BOOST_REQUIRE(!bad);
  BOOST_CHECK_NE(describe(bad.error()).find("999"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(statements_are_read_as_their_sql_mode_says) {
  mysql_instance inst;
  inst.routes = {{"src", "", "dst", "", {}, {}, {}}};
  auto rules = table_rules::compile(inst);
  DM_REQUIRE_OK(rules);
  // ANSI_QUOTES: "src"."t" names a table, and is routed.
  auto ansi = plan_ddl("CREATE TABLE \"src\".\"t\" (\"a\" INT)", "", *rules,
                       lexer_mode_of(1ull << 2));
  BOOST_REQUIRE(ansi.what == ddl_plan::action::apply);
  BOOST_CHECK_EQUAL(ansi.statements.at(0), "CREATE TABLE IF NOT EXISTS `dst`.`t` (\"a\" INT)");
  // Without it, "src" is a string and the statement names no table the planner understands.
  auto plain = plan_ddl("CREATE TABLE \"src\".\"t\" (\"a\" INT)", "", *rules, lexer_mode_of(0));
  BOOST_CHECK(plain.what != ddl_plan::action::apply ||
              plain.statements.at(0) != "CREATE TABLE IF NOT EXISTS `dst`.`t` (\"a\" INT)");
  // NO_BACKSLASH_ESCAPES: 'a\' ends the string, so `src`.u is the table.
  auto nbe = plan_ddl("ALTER TABLE src.u ADD c VARCHAR(3) DEFAULT 'a\\', ADD d INT", "", *rules,
                      lexer_mode_of(1ull << 20));
  BOOST_REQUIRE(nbe.what == ddl_plan::action::apply);
  BOOST_CHECK_EQUAL(nbe.statements.at(0),
                    "ALTER TABLE `dst`.`u` ADD c VARCHAR(3) DEFAULT 'a\\', ADD d INT");
}

BOOST_AUTO_TEST_SUITE_END()
