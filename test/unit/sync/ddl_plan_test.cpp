// How schema changes are planned under a task's rules, and how an operator's replacement SQL
// is split into statements.
#include <boost/test/unit_test.hpp>

#include "sync/ddl_plan.hpp"
#include "sync/statements.hpp"
#include "test/unit/test_util.hpp"

using namespace dm;

namespace {

table_rules merging_rules() {
  mysql_instance inst;
  inst.block_allow.ignore_dbs = {"secret"};
  inst.routes = {{"shard_*", "", "merged", "", {}, {}, {}}};
  inst.filters = {{"no-truncate", "shard_*", "logs", {"truncate table"}, {}, "Ignore"},
                  {"no-drop-index", "", "", {}, {"^DROP\\s+INDEX"}, "Error"}};
  auto r = table_rules::compile(inst);
  DM_REQUIRE_OK(r);
  return std::move(*r);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ddl_plan_test)

BOOST_AUTO_TEST_CASE(routed_statements_are_rewritten_and_merged_creates_tolerate_each_other) {
  auto rules = merging_rules();
  auto create = plan_ddl("CREATE TABLE users (id INT PRIMARY KEY)", "shard_1", rules);
  BOOST_CHECK(create.what == ddl_plan::action::apply);
  BOOST_CHECK_EQUAL(create.use_db, "merged");
  BOOST_REQUIRE_EQUAL(create.statements.size(), 1u);
  BOOST_CHECK_EQUAL(create.statements[0],
                    "CREATE TABLE IF NOT EXISTS `merged`.`users` (id INT PRIMARY KEY)");
  auto db = plan_ddl("CREATE DATABASE shard_2", "", rules);
  BOOST_REQUIRE(db.what == ddl_plan::action::apply);
  BOOST_CHECK_EQUAL(db.statements.at(0), "CREATE DATABASE IF NOT EXISTS `merged`");
  auto alter = plan_ddl("ALTER TABLE shard_2.users ADD COLUMN c INT", "", rules);
  BOOST_CHECK_EQUAL(alter.statements.at(0), "ALTER TABLE `merged`.`users` ADD COLUMN c INT");
  auto rename = plan_ddl("RENAME TABLE x.a TO x.b, x.c TO y.d", "", rules);
  BOOST_CHECK_EQUAL(rename.statements.at(0),
                    "RENAME TABLE `x`.`a` TO `x`.`b`, `x`.`c` TO `y`.`d`");
  auto drop = plan_ddl("DROP TABLE x.t, secret.t", "", rules);
  BOOST_CHECK_EQUAL(drop.statements.at(0), "DROP TABLE IF EXISTS `x`.`t`");
}

// A route whose pattern matches several tables merges them into one: dropping, emptying or
// renaming one shard's table must not take the others' rows along (without extract columns its
// own rows cannot be told apart), so the part stops, saying what to do. A route that renames
// one database or table (literal patterns) is not a merge.
BOOST_AUTO_TEST_CASE(merged_shards_without_extract_columns_stop_on_drop_truncate_and_rename) {
  auto rules = merging_rules();
  for (const char* sql : {"DROP TABLE shard_1.t", "DROP TABLE x.t, shard_2.t",
                          "TRUNCATE TABLE shard_1.users", "RENAME TABLE shard_1.a TO shard_1.b",
                          "RENAME TABLE x.a TO shard_1.a", "ALTER TABLE shard_1.a RENAME TO b"}) {
    auto plan = plan_ddl(sql, "", rules);
    BOOST_TEST_CONTEXT(sql << " -> " << plan.reason) {
      BOOST_CHECK(plan.what == ddl_plan::action::fail);
    }
  }
  auto reason = plan_ddl("TRUNCATE TABLE shard_1.users", "", rules).reason;
  BOOST_CHECK_MESSAGE(reason.find("TRUNCATE TABLE shard_1.users would act on `merged`.`users`, "
                                  "into which a route merges other upstream tables too") !=
                          std::string::npos,
                      reason);
  mysql_instance renaming;
  renaming.routes = {{"app", "", "app_copy", "", {}, {}, {}},
                     {"shop", "orders", "shop", "orders_v2", {}, {}, {}},
                     {"logs", "*", "logs_copy", "", {}, {}, {}}};
  auto literal = table_rules::compile(renaming);
  DM_REQUIRE_OK(literal);
  for (const char* sql : {"DROP TABLE app.t", "TRUNCATE TABLE shop.orders",
                          "RENAME TABLE app.a TO app.b", "DROP TABLE logs.old"}) {
    auto plan = plan_ddl(sql, "", *literal);
    BOOST_TEST_CONTEXT(sql << " -> " << plan.reason) {
      BOOST_CHECK(plan.what == ddl_plan::action::apply);
    }
  }
  // Literal routes writing into one target merge too.
  mysql_instance converging;
  converging.routes = {{"db1", "", "x", "", {}, {}, {}}, {"db2", "", "x", "", {}, {}, {}},
                       {"db3", "t", "y", "t", {}, {}, {}}, {"db3", "u", "y", "t", {}, {}, {}},
                       {"db4", "", "z", "", {}, {}, {}}, {"db4", "*", "z", "", {}, {}, {}}};
  auto merging = table_rules::compile(converging);
  DM_REQUIRE_OK(merging);
  for (const char* sql : {"TRUNCATE TABLE db1.t", "DROP TABLE db2.t", "TRUNCATE TABLE db3.u"})
    BOOST_CHECK_MESSAGE(plan_ddl(sql, "", *merging).what == ddl_plan::action::fail, sql);
  for (const char* sql : {"TRUNCATE TABLE db4.t"}) {
    auto plan = plan_ddl(sql, "", *literal);
    BOOST_TEST_CONTEXT(sql << " -> " << plan.reason) {
      BOOST_CHECK(plan.what == ddl_plan::action::apply);
    }
  }
}

// Tables merged with extract columns share the target: a shard's TRUNCATE or DROP removes only
// its own rows, a rename cannot be placed.
BOOST_AUTO_TEST_CASE(merged_shards_with_extract_columns_change_only_their_rows) {
  mysql_instance inst;
  inst.routes = {{"shard_*", "orders_*", "merged", "orders", {"orders_(.*)", "c_table"},
                  {"shard_(.*)", "c_schema"}, {}}};
  auto r = table_rules::compile(inst);
  DM_REQUIRE_OK(r);
  auto truncate = plan_ddl("TRUNCATE TABLE orders_a", "shard_1", *r);
  BOOST_CHECK(truncate.what == ddl_plan::action::apply);
  BOOST_CHECK(truncate.statements ==
              std::vector<std::string>{"DELETE FROM `merged`.`orders` WHERE "
                                       "`c_table`=_utf8mb4'a' AND `c_schema`=_utf8mb4'1'"});
  auto drop = plan_ddl("DROP TABLE shard_2.orders_b, shard_2.other", "", *r);
  BOOST_CHECK(drop.statements ==
              (std::vector<std::string>{"DROP TABLE IF EXISTS `shard_2`.`other`",
                                        "DELETE FROM `merged`.`orders` WHERE "
                                        "`c_table`=_utf8mb4'b' AND `c_schema`=_utf8mb4'2'"}));
  BOOST_CHECK(plan_ddl("RENAME TABLE shard_1.orders_a TO shard_1.orders_z", "", *r).what ==
              ddl_plan::action::fail);
  BOOST_CHECK(plan_ddl("ALTER TABLE shard_1.orders_a RENAME TO shard_1.x", "", *r).what ==
              ddl_plan::action::fail);
  // Other changes reach the merged table as they are.
  auto alter = plan_ddl("ALTER TABLE shard_1.orders_a ADD COLUMN n INT", "", *r);
  BOOST_CHECK(alter.statements ==
              std::vector<std::string>{"ALTER TABLE `merged`.`orders` ADD COLUMN n INT"});
}

BOOST_AUTO_TEST_CASE(filtered_and_foreign_statements_are_skipped_or_fail) {
  auto rules = merging_rules();
  BOOST_CHECK(plan_ddl("DROP DATABASE shard_1", "", rules).what == ddl_plan::action::skip);
  BOOST_CHECK(plan_ddl("CREATE TABLE secret.t (a INT)", "", rules).what ==
              ddl_plan::action::skip);
  BOOST_CHECK(plan_ddl("TRUNCATE TABLE shard_3.logs", "", rules).what == ddl_plan::action::skip);
  // Not filtered (the merge stops it instead).
  BOOST_CHECK(plan_ddl("TRUNCATE TABLE shard_3.other", "", rules).reason.find("a route merges") !=
              std::string::npos);
  auto index = plan_ddl("DROP INDEX i ON shard_1.t", "", rules);
  BOOST_CHECK(index.what == ddl_plan::action::fail);
  BOOST_CHECK(index.reason.find("no-drop-index") != std::string::npos);
  BOOST_CHECK(plan_ddl("GRANT ALL ON *.* TO u", "", rules).what == ddl_plan::action::skip);
  BOOST_CHECK(plan_ddl("CREATE VIEW v AS SELECT 1", "shard_1", rules).what ==
              ddl_plan::action::skip);
  auto across = plan_ddl("RENAME TABLE shard_1.t TO secret.t", "", rules);
  BOOST_CHECK(across.what == ddl_plan::action::fail);
}

// DM's filter names for the parts of an ALTER TABLE: a rule naming a part matches the
// statements that have it, whatever else they do; "incompatible ddl changes" matches the parts
// DM counts so; Do rules keep only what they name.
BOOST_AUTO_TEST_CASE(alter_table_parts_are_filtered_by_their_dm_names) {
  mysql_instance inst;
  inst.filters = {{"no-drops", "app", "", {"drop column", "drop index"}, {}, "Ignore"},
                  {"stop-incompatible", "strict", "", {"incompatible ddl changes"}, {}, "Error"},
                  {"only-adds", "grow", "", {"add column", "all dml"}, {}, "Do"}};
  auto compiled = table_rules::compile(inst);
  DM_REQUIRE_OK(compiled);
  auto& rules = *compiled;
  struct row {
    const char* sql;
    ddl_plan::action expected;
  };
  const row rows[] = {
      {"ALTER TABLE app.t DROP COLUMN c", ddl_plan::action::skip},
      {"ALTER TABLE app.t ADD COLUMN d INT, DROP INDEX i", ddl_plan::action::skip},
      {"ALTER TABLE app.t ADD COLUMN d INT, ADD INDEX i (d)", ddl_plan::action::apply},
      {"ALTER TABLE `app`.`t` DROP `c`", ddl_plan::action::skip},
      {"ALTER TABLE app.t DROP PRIMARY KEY", ddl_plan::action::apply},
      {"ALTER TABLE strict.t MODIFY c BIGINT", ddl_plan::action::fail},
      {"ALTER TABLE strict.t CHANGE a b INT", ddl_plan::action::fail},
      {"ALTER TABLE strict.t ENGINE = InnoDB", ddl_plan::action::fail},
      {"ALTER TABLE strict.t ALTER COLUMN c SET DEFAULT 5", ddl_plan::action::fail},
      {"ALTER TABLE strict.t ADD COLUMN c INT", ddl_plan::action::apply},
      {"ALTER TABLE strict.t COMMENT = 'x', ADD INDEX (c)", ddl_plan::action::apply},
      {"ALTER TABLE grow.t ADD COLUMN c INT", ddl_plan::action::apply},
      {"ALTER TABLE grow.t ADD CONSTRAINT `fk` FOREIGN KEY (a) REFERENCES p (id)",
       ddl_plan::action::skip},
      {"ALTER TABLE grow.t DROP COLUMN c", ddl_plan::action::skip},
  };
  for (const auto& r : rows) {
    auto plan = plan_ddl(r.sql, "", rules);
    BOOST_TEST_CONTEXT(r.sql << " -> " << plan.reason) {
      BOOST_CHECK(plan.what == r.expected);
    }
  }
  auto reason = plan_ddl("ALTER TABLE app.t DROP COLUMN c, ENGINE = InnoDB", "", rules).reason;
  BOOST_CHECK_MESSAGE(reason.find("alter table (drop column, modify storage engine, multi "
                                  "schema change) on app.t") != std::string::npos,
                      reason);
}

// Filters naming what a change does to values ("value range decrease", ...) need the table's
// definition before it: the plan asks for the downstream (routed) table's, then decides with it.
BOOST_AUTO_TEST_CASE(filters_needing_the_old_definition_ask_for_the_downstream_table) {
  mysql_instance inst;
  inst.routes = {{"shard_*", "", "merged", "", {}, {}, {}}};
  inst.filters = {
      {"no-narrowing", "shard_*", "", {"Value Range Decrease", "precision decrease"}, {}, "Error"},
      {"keep-keys", "shard_*", "", {"drop unique key", "remove auto increment"}, {}, "Ignore"}};
  auto compiled = table_rules::compile(inst);
  DM_REQUIRE_OK(compiled);
  auto& rules = *compiled;
  auto ask = plan_ddl("ALTER TABLE shard_1.t MODIFY c VARCHAR(5)", "", rules);
  BOOST_REQUIRE(ask.what == ddl_plan::action::describe);
  BOOST_CHECK(ask.described == std::make_pair(std::string{"merged"}, std::string{"t"}));
  // Tables no such filter names, and statements other than ALTER TABLE/DROP INDEX, never ask.
  BOOST_CHECK(plan_ddl("ALTER TABLE other.t MODIFY c INT", "", rules).what ==
              ddl_plan::action::apply);
  BOOST_CHECK(plan_ddl("CREATE TABLE shard_1.n (a INT)", "", rules).what ==
              ddl_plan::action::apply);

  sql::table_definition before;
  before.columns["ID"] = *sql::parse_declared_type("int(11)");
  before.columns["ID"].auto_increment = true;
  before.columns["C"] = *sql::parse_declared_type("varchar(10)");
  before.columns["P"] = *sql::parse_declared_type("decimal(8,3)");
  before.unique_indexes["UK_C"] = {"C"};
  table_definitions known{{{"merged", "t"}, before}, {{"merged", "gone"}, {}}};
  struct row {
    const char* sql;
    ddl_plan::action expected;
  };
  const row rows[] = {
      {"ALTER TABLE shard_1.t MODIFY c VARCHAR(5)", ddl_plan::action::fail},
      {"ALTER TABLE shard_2.t MODIFY c VARCHAR(20)", ddl_plan::action::apply},
      {"ALTER TABLE shard_1.t MODIFY p DECIMAL(8,2)", ddl_plan::action::fail},
      {"ALTER TABLE shard_1.t MODIFY p DECIMAL(9,3)", ddl_plan::action::apply},
      {"ALTER TABLE shard_1.t MODIFY id INT NOT NULL", ddl_plan::action::skip},
      {"ALTER TABLE shard_1.t MODIFY id BIGINT AUTO_INCREMENT", ddl_plan::action::apply},
      {"ALTER TABLE shard_1.t DROP INDEX uk_c", ddl_plan::action::skip},
      {"DROP INDEX uk_c ON shard_1.t", ddl_plan::action::skip},
      {"ALTER TABLE shard_1.t DROP INDEX plain", ddl_plan::action::apply},
      // Absent downstream: nothing to compare, so none of these names.
      {"ALTER TABLE shard_1.gone MODIFY c VARCHAR(1)", ddl_plan::action::apply},
  };
  for (const auto& r : rows) {
    auto plan = plan_ddl(r.sql, "", rules, {}, &known);
    BOOST_TEST_CONTEXT(r.sql << " -> " << plan.reason) {
      BOOST_CHECK(plan.what == r.expected);
    }
  }
  auto reason = plan_ddl("ALTER TABLE shard_1.t MODIFY c VARCHAR(5)", "", rules, {}, &known).reason;
  BOOST_CHECK_MESSAGE(reason.find("filter no-narrowing makes alter table (modify column, value "
                                  "range decrease) on shard_1.t an error") != std::string::npos,
                      reason);
}

// shard-mode optimistic: a shard's ALTER TABLE is compared with the merged table downstream;
// what it adds or widens is applied once, what the merged table has is left out, and what
// cannot be merged stops the part.
BOOST_AUTO_TEST_CASE(optimistic_shard_mode_merges_what_shards_add_and_stops_on_the_rest) {
  auto rules = merging_rules();
  sql::table_definition merged;
  merged.columns["ID"] = *sql::parse_declared_type("int(11)");
  merged.columns["NAME"] = *sql::parse_declared_type("varchar(20)");
  merged.columns["SCORE"] = *sql::parse_declared_type("int(11)");
  merged.indexes = {"PRIMARY", "IDX_NAME"};
  table_definitions known{{{"merged", "users"}, merged}, {{"merged", "fresh"}, {}}};
  auto optimistic = [&](const char* sql) {
    return plan_ddl(sql, "", rules, {}, &known, shard_ddl::optimistic);
  };
  BOOST_CHECK(plan_ddl("ALTER TABLE shard_1.users ADD COLUMN age INT", "", rules, {}, nullptr,
                       shard_ddl::optimistic)
                  .what == ddl_plan::action::describe);
  struct row {
    const char* sql;
    ddl_plan::action expected;
    const char* statement;  // when applied
  };
  const row rows[] = {
      {"ALTER TABLE shard_1.users ADD COLUMN age INT", ddl_plan::action::apply,
       "ALTER TABLE `merged`.`users` ADD COLUMN age INT"},
      {"ALTER TABLE shard_2.users ADD score INT(5)", ddl_plan::action::skip, ""},
      {"ALTER TABLE shard_2.users ADD COLUMN score BIGINT", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users ADD COLUMN c INT NOT NULL", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users ADD COLUMN c INT NOT NULL DEFAULT 0", ddl_plan::action::apply,
       "ALTER TABLE `merged`.`users` ADD COLUMN c INT NOT NULL DEFAULT 0"},
      {"ALTER TABLE shard_1.users ADD INDEX idx_name (name), ADD INDEX idx_score (score), "
       "ADD KEY (age)",
       ddl_plan::action::apply,
       "ALTER TABLE `merged`.`users` ADD INDEX idx_score (score), ADD KEY (age)"},
      {"ALTER TABLE shard_1.users ADD UNIQUE INDEX idx_name (name)", ddl_plan::action::skip, ""},
      {"ALTER TABLE shard_1.users MODIFY name VARCHAR(40)", ddl_plan::action::apply,
       "ALTER TABLE `merged`.`users` MODIFY name VARCHAR(40)"},
      {"ALTER TABLE shard_1.users CHANGE name name VARCHAR(20)", ddl_plan::action::skip, ""},
      {"ALTER TABLE shard_1.users MODIFY name VARCHAR(10)", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users MODIFY ghost INT", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users MODIFY name INT", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users MODIFY score DOUBLE", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users ADD CONSTRAINT idx_name UNIQUE (score)",
       ddl_plan::action::skip, ""},
      {"ALTER TABLE shard_1.users CHANGE name label VARCHAR(20)", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users DROP COLUMN score", ddl_plan::action::fail, ""},
      {"ALTER TABLE shard_1.users ADD COLUMN d INT, DROP INDEX idx_name", ddl_plan::action::fail,
       ""},
      {"ALTER TABLE shard_1.users COMMENT = 'x', ADD COLUMN score INT", ddl_plan::action::apply,
       "ALTER TABLE `merged`.`users` COMMENT = 'x'"},
      {"CREATE INDEX idx_name ON shard_1.users (name)", ddl_plan::action::skip, ""},
      {"CREATE INDEX other ON shard_1.users (score)", ddl_plan::action::apply,
       "CREATE INDEX other ON `merged`.`users` (score)"},
      {"DROP INDEX idx_name ON shard_1.users", ddl_plan::action::fail, ""},
      // Not in the downstream yet: as written.
      {"ALTER TABLE shard_1.fresh DROP COLUMN a", ddl_plan::action::apply,
       "ALTER TABLE `merged`.`fresh` DROP COLUMN a"},
  };
  for (const auto& r : rows) {
    auto plan = optimistic(r.sql);
    BOOST_TEST_CONTEXT(r.sql << " -> " << plan.reason) {
      BOOST_CHECK(plan.what == r.expected);
      if (r.expected == ddl_plan::action::apply)
        BOOST_CHECK_EQUAL(plan.statements.at(0), r.statement);
    }
  }
  auto reason = optimistic("ALTER TABLE shard_1.users DROP COLUMN score").reason;
  BOOST_CHECK_MESSAGE(reason.find("shard shard_1.users's 'DROP COLUMN score' cannot be merged "
                                  "into `merged`.`users`") != std::string::npos,
                      reason);
  // Without shard-mode, statements run as written (the second shard's fails downstream).
  BOOST_CHECK_EQUAL(plan_ddl("ALTER TABLE shard_2.users ADD score INT", "", rules).statements.at(0),
                    "ALTER TABLE `merged`.`users` ADD score INT");
}

BOOST_AUTO_TEST_CASE(replacement_sql_splits_outside_quotes_and_comments) {
  auto parts = split_statements(
      "ALTER TABLE t ADD c INT DEFAULT ';' ; /* ; */ UPDATE `a;b` SET x = \"y;z\";; ");
  BOOST_REQUIRE_EQUAL(parts.size(), 2u);
  BOOST_CHECK_EQUAL(parts[0], "ALTER TABLE t ADD c INT DEFAULT ';' ");
  BOOST_CHECK(parts[1].find("UPDATE `a;b` SET x = \"y;z\"") != std::string::npos);
  BOOST_CHECK(split_statements(" ; ;").empty());
}

BOOST_AUTO_TEST_SUITE_END()
