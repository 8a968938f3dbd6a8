#include <boost/test/unit_test.hpp>

#include "protocol/sql/grants.hpp"

using namespace dm;

namespace {

std::vector<sql::grant_line> parse_all(std::initializer_list<const char*> lines) {
  std::vector<sql::grant_line> out;
  for (auto* line : lines)
    if (auto g = sql::parse_grant(line)) out.push_back(*g);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(grants_test)

BOOST_AUTO_TEST_CASE(show_grants_lines_are_read_as_mariadb_and_mysql_print_them) {
  auto global = sql::parse_grant(
      "GRANT RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `dm`@`%` IDENTIFIED BY "
      "PASSWORD '*ABC'");
  BOOST_REQUIRE(global);
  BOOST_CHECK((global->privileges == std::set<std::string>{"RELOAD", "REPLICATION SLAVE",
                                                           "BINLOG MONITOR"}));
  BOOST_CHECK_EQUAL(global->db, "*");
  BOOST_CHECK_EQUAL(global->table, "*");

  auto db = sql::parse_grant("GRANT ALL PRIVILEGES ON `shop\\_1`.* TO 'dm'@'10.%' WITH GRANT OPTION");
  BOOST_REQUIRE(db);
  BOOST_CHECK((db->privileges == std::set<std::string>{"ALL"}));
  BOOST_CHECK_EQUAL(db->db, "shop\\_1");
  BOOST_CHECK_EQUAL(db->table, "*");

  auto columns = sql::parse_grant("GRANT SELECT (`a`, `b`), INSERT ON `d`.`t` TO `dm`@`%`");
  BOOST_REQUIRE(columns);
  BOOST_CHECK((columns->privileges == std::set<std::string>{"INSERT"}));
  BOOST_CHECK_EQUAL(columns->table, "t");

  auto role = sql::parse_grant("GRANT `loader_role` TO `dm`@`%`");
  BOOST_REQUIRE(role);
  BOOST_CHECK(role->privileges.empty());
  BOOST_REQUIRE_EQUAL(role->roles.size(), 1u);
  BOOST_CHECK_EQUAL(role->roles[0], "loader_role");
  auto mysql_role = sql::parse_grant("GRANT `r1`@`%`,`r2`@`%` TO `dm`@`%`");
  BOOST_REQUIRE(mysql_role);
  BOOST_CHECK((mysql_role->roles == std::vector<std::string>{"r1", "r2"}));

  BOOST_CHECK(!sql::parse_grant("SET DEFAULT ROLE `loader_role` FOR `dm`@`%`"));
  BOOST_CHECK(!sql::parse_grant("GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"));
  BOOST_CHECK(!sql::parse_grant("GRANT EXECUTE ON PROCEDURE `d`.`p` TO `dm`@`%`"));
  BOOST_CHECK(!sql::parse_grant("GRANT"));
}

BOOST_AUTO_TEST_CASE(a_privilege_is_given_globally_or_on_a_matching_database) {
  auto grants = parse_all({"GRANT USAGE ON *.* TO `dm`@`%`",
                           "GRANT SELECT, INSERT ON `shop\\_%`.* TO `dm`@`%`",
                           "GRANT ALL PRIVILEGES ON `dm_meta`.* TO `dm`@`%`",
                           "GRANT DELETE ON `shop_1`.`orders` TO `dm`@`%`",
                           "GRANT REPLICATION CLIENT ON *.* TO `dm`@`%`"});
  BOOST_CHECK(sql::grants_privilege(grants, "SELECT", "shop_1"));
  BOOST_CHECK(sql::grants_privilege(grants, "SELECT", "shop_"));
  BOOST_CHECK(!sql::grants_privilege(grants, "SELECT", "shopX1"));  // `\_` is literal
  BOOST_CHECK(!sql::grants_privilege(grants, "SELECT", "other"));
  BOOST_CHECK(sql::grants_privilege(grants, "DROP", "dm_meta"));
  // A table-level grant does not cover the database.
  BOOST_CHECK(!sql::grants_privilege(grants, "DELETE", "shop_1"));
  // Global-only privileges need a global grant; BINLOG MONITOR is REPLICATION CLIENT's name.
  BOOST_CHECK(!sql::grants_privilege(grants, "RELOAD", ""));
  BOOST_CHECK(sql::grants_privilege(grants, "BINLOG MONITOR", ""));
  BOOST_CHECK(sql::grants_privilege(grants, "REPLICATION CLIENT", ""));
  BOOST_CHECK(sql::grants_privilege(parse_all({"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`"}),
                                    "RELOAD", ""));
}

BOOST_AUTO_TEST_CASE(database_patterns_follow_like) {
  BOOST_CHECK(sql::database_pattern_matches("a%", "abc"));
  BOOST_CHECK(sql::database_pattern_matches("a_c", "abc"));
  BOOST_CHECK(!sql::database_pattern_matches("a\\_c", "abc"));
  BOOST_CHECK(sql::database_pattern_matches("a\\_c", "a_c"));
  BOOST_CHECK(sql::database_pattern_matches("%", ""));
  BOOST_CHECK(!sql::database_pattern_matches("ab", "abc"));
}

BOOST_AUTO_TEST_SUITE_END()
