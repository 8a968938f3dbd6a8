// Block-allow lists, routes and filters as DM defines them.
#include <boost/test/unit_test.hpp>

#include "sync/table_rules.hpp"
#include "protocol/sql/ddl.hpp"
#include "test/unit/test_util.hpp"

using namespace dm;

namespace {

table_rules compile(const mysql_instance& inst) {
  auto r = table_rules::compile(inst);
  DM_REQUIRE_OK(r);
  return std::move(*r);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(table_rules_test)

BOOST_AUTO_TEST_CASE(block_allow_list_filters_databases_then_tables) {
  mysql_instance inst;
  inst.block_allow.do_dbs = {"shop", "~^log_[0-9]+$"};
  inst.block_allow.ignore_tables = {{"shop", "tmp_*"}};
  auto rules = compile(inst);
  BOOST_CHECK(rules.replicated("shop", "orders"));
  BOOST_CHECK(rules.replicated("SHOP", "Orders"));  // case-insensitive
  BOOST_CHECK(!rules.replicated("shop", "tmp_x"));
  BOOST_CHECK(rules.replicated("log_12", "t"));
  BOOST_CHECK(!rules.replicated("log_x", "t"));
  BOOST_CHECK(!rules.replicated("other", "t"));
  BOOST_CHECK(!rules.replicated("mysql", "user"));  // system databases never

  mysql_instance only_tables;
  only_tables.block_allow.ignore_dbs = {"secret"};
  only_tables.block_allow.do_tables = {{"a", "t?"}, {"b", "[xy]z"}};
  auto r2 = compile(only_tables);
  BOOST_CHECK(r2.replicated("a", "t1"));
  BOOST_CHECK(!r2.replicated("a", "t12"));
  BOOST_CHECK(r2.replicated("b", "yz"));
  BOOST_CHECK(!r2.replicated("b", "zz"));
  BOOST_CHECK(!r2.replicated("secret", "t1"));
  BOOST_CHECK(r2.replicated("a", ""));  // the database itself passes the database level
}

// DM's extract-table/-schema/-source: the groups a regexp captures (joined), the whole match
// without groups; a regexp that does not match fails the route rather than leave a column
// without a value.
// DM's case-sensitive: true makes wildcards and regexes match names exactly; the source's own
// filters follow the source's setting.
BOOST_AUTO_TEST_CASE(case_sensitive_rules_match_names_exactly) {
  mysql_instance inst;
  inst.block_allow.do_dbs = {"Shop", "~^Log_"};
  inst.filters = {{"no-deletes", "Shop", "Orders", {"delete"}, {}, "Ignore"}};
  auto loose = compile(inst);
  BOOST_CHECK(loose.replicated("shop", "x"));
  BOOST_CHECK(loose.replicated("log_1", "x"));
  BOOST_CHECK(loose.filter("shop", "orders", "delete", "") == table_rules::verdict::skip);
  inst.case_sensitive = true;
  auto exact = compile(inst);
  BOOST_CHECK(exact.replicated("Shop", "x"));
  BOOST_CHECK(!exact.replicated("shop", "x"));
  BOOST_CHECK(exact.replicated("Log_1", "x"));
  BOOST_CHECK(!exact.replicated("log_1", "x"));
  BOOST_CHECK(exact.filter("Shop", "Orders", "delete", "") == table_rules::verdict::skip);
  BOOST_CHECK(exact.filter("Shop", "orders", "delete", "") == table_rules::verdict::apply);
  // A source filter under a case-insensitive source, in a case-sensitive task.
  std::vector<filter_rule> source_filters{{"source.0", "Shop", "Audit", {"delete"}, {}, "Ignore"}};
  auto mixed = table_rules::compile(inst, source_filters, false);
  BOOST_REQUIRE(mixed);
  BOOST_CHECK(mixed->filter("Shop", "AUDIT", "delete", "") == table_rules::verdict::skip);
  BOOST_CHECK(mixed->filter("Shop", "orders", "delete", "") == table_rules::verdict::apply);
}

BOOST_AUTO_TEST_CASE(routes_extract_columns_from_names) {
  mysql_instance inst;
  inst.source_id = "mysql-replica-01";
  inst.routes = {{"shard_*", "orders_*", "merged", "orders", {"orders_(.*)", "c_table"},
                  {"shard_(\\d+)", "c_schema"}, {"replica-(0)(1)", "c_source"}},
                 {"plain", "", "target", "", {}, {}, {}},
                 {"whole", "", "whole", "", {"t[0-9]", "c_table"}, {}, {}}};
  auto rules = compile(inst);
  BOOST_CHECK(*rules.route("shard_12", "orders_eu") == std::make_pair(std::string{"merged"},
                                                                      std::string{"orders"}));
  BOOST_CHECK((rules.extracted_columns("shard_12", "orders_eu") ==
               std::vector<std::pair<std::string, std::string>>{
                   {"c_table", "eu"}, {"c_schema", "12"}, {"c_source", "01"}}));
  BOOST_CHECK(rules.extracted_columns("plain", "t").empty());
  BOOST_CHECK((rules.extracted_columns("whole", "x_t7_y") ==
               std::vector<std::pair<std::string, std::string>>{{"c_table", "t7"}}));
  auto unmatched = rules.route("whole", "nodigit");
  BOOST_REQUIRE(!unmatched);
  BOOST_CHECK(describe(unmatched.error()).find("the extract-table regexp of its route does not "
                                               "match 'nodigit'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(routes_prefer_table_rules_and_detect_ambiguity) {
  mysql_instance inst;
  inst.routes = {{"shard_*", "orders_*", "merged", "orders", {}, {}, {}},
                 {"shard_*", "", "merged", "", {}, {}, {}},
                 {"x", "t*", "y", "a", {}, {}, {}},
                 {"x", "t1", "y", "b", {}, {}, {}}};
  auto rules = compile(inst);
  BOOST_CHECK(*rules.route("shard_1", "orders_07") == std::make_pair(std::string{"merged"},
                                                                      std::string{"orders"}));
  BOOST_CHECK(*rules.route("shard_2", "users") == std::make_pair(std::string{"merged"},
                                                                  std::string{"users"}));
  BOOST_CHECK(*rules.route("plain", "t") == std::make_pair(std::string{"plain"},
                                                            std::string{"t"}));
  BOOST_CHECK(!rules.route("x", "t1"));  // two table rules match
  BOOST_CHECK(*rules.route("shard_3", "") == std::make_pair(std::string{"merged"},
                                                             std::string{""}));
}

BOOST_AUTO_TEST_CASE(filters_ignore_keep_only_or_fail) {
  mysql_instance inst;
  filter_rule no_deletes{"no-deletes", "shop", "orders", {"delete"}, {}, "Ignore"};
  filter_rule only_inserts{"only-inserts", "audit", "", {"insert"}, {}, "Do"};
  filter_rule no_drops{"no-drops", "*", "", {}, {"^DROP\\s+DATABASE"}, "Error"};
  inst.filters = {no_deletes, only_inserts, no_drops};
  auto rules = compile(inst);
  using v = table_rules::verdict;
  BOOST_CHECK(rules.filter("shop", "orders", "delete", "") == v::skip);
  BOOST_CHECK(rules.filter("shop", "orders", "insert", "") == v::apply);
  BOOST_CHECK(rules.filter("shop", "other", "delete", "") == v::apply);
  BOOST_CHECK(rules.filter("audit", "log", "insert", "") == v::apply);
  BOOST_CHECK(rules.filter("audit", "log", "update", "") == v::skip);
  std::string rule;
  BOOST_CHECK(rules.filter("shop", "", "drop database", "drop  database shop", &rule) == v::fail);
  BOOST_CHECK_EQUAL(rule, "no-drops");
  mysql_instance bad;
  bad.filters = {{"x", "a", "", {"explode table"}, {}, "Ignore"}};
  BOOST_CHECK(!table_rules::compile(bad));
  bad.filters = {{"x", "a", "", {"insert"}, {}, "Maybe"}};
  BOOST_CHECK(!table_rules::compile(bad));
  bad.filters.clear();
  bad.block_allow.do_dbs = {"~(unclosed"};
  BOOST_CHECK(!table_rules::compile(bad));
}

BOOST_AUTO_TEST_CASE(ddl_statements_name_their_tables_with_spans) {
  auto d = sql::analyze_ddl("ALTER TABLE `we``ird`.t1 ADD COLUMN c INT, RENAME TO t2", "db0");
  BOOST_CHECK(d.kind == sql::statement_kind::alter_table);
  BOOST_REQUIRE_EQUAL(d.tables.size(), 2u);
  BOOST_CHECK_EQUAL(d.tables[0].db, "we`ird");
  BOOST_CHECK_EQUAL(d.tables[0].table, "t1");
  BOOST_CHECK_EQUAL(d.tables[1].db, "db0");
  BOOST_CHECK_EQUAL(d.tables[1].table, "t2");
  auto r = sql::analyze_ddl("RENAME TABLE a TO b, x.c TO x.d", "s");
  BOOST_REQUIRE_EQUAL(r.tables.size(), 4u);
  BOOST_CHECK_EQUAL(r.tables[3].db, "x");
  auto drop = sql::analyze_ddl("DROP TABLE IF EXISTS `t1`,t2 /* generated by server */", "s");
  BOOST_CHECK(drop.kind == sql::statement_kind::drop_table);
  BOOST_CHECK_EQUAL(drop.tables.size(), 2u);
  auto idx = sql::analyze_ddl("CREATE UNIQUE INDEX i ON t (a)", "s");
  BOOST_CHECK(idx.kind == sql::statement_kind::create_index);
  BOOST_CHECK_EQUAL(idx.tables.at(0).table, "t");
  auto db = sql::analyze_ddl("create database if not exists `new`", "");
  BOOST_CHECK(db.kind == sql::statement_kind::create_database);
  BOOST_CHECK_EQUAL(db.database->db, "new");
  auto rc = sql::analyze_ddl("ALTER TABLE t RENAME COLUMN a TO b", "s");
  BOOST_CHECK_EQUAL(rc.tables.size(), 1u);
  BOOST_CHECK(sql::analyze_ddl("CREATE TABLE t2 LIKE t1", "s").creates_from_other);
  // Rewriting replaces exactly the spans.
  auto stmt = std::string{"ALTER TABLE shard_1.orders ADD INDEX (a)"};
  auto a = sql::analyze_ddl(stmt, "");
  auto out = sql::rewrite(stmt, {{a.tables[0], "`merged`.`orders`"}});
  BOOST_CHECK_EQUAL(out, "ALTER TABLE `merged`.`orders` ADD INDEX (a)");
  // Comments and strings never pass for names.
  auto c = sql::analyze_ddl("/* DROP TABLE x */ TRUNCATE TABLE `t'1`", "d");
  BOOST_CHECK(c.kind == sql::statement_kind::truncate_table);
  BOOST_CHECK_EQUAL(c.tables.at(0).table, "t'1");
}

BOOST_AUTO_TEST_SUITE_END()
