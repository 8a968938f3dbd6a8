// What changing a column's declared type, or dropping a unique index, does to a table's values,
// told with DM's filter names: each type family's narrowing and its non-narrowing neighbours.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "protocol/sql/alter_parts.hpp"
#include "protocol/sql/column_changes.hpp"

using namespace dm;

namespace {

// The parts of changing a column typed `before` (information_schema's COLUMN_TYPE) to the
// column definition `after`, joined with ", ".
std::string parts_of(const char* before, const char* after) {
  auto b = sql::parse_declared_type(before);
  auto a = sql::parse_declared_type(after);
  if (!b || !a) return "unparsed";
  std::string out;
  for (const char* part : sql::column_change_parts(*b, *a))
    out += (out.empty() ? "" : ", ") + std::string{part};
  return out;
}

bool has(const std::vector<std::string>& parts, const char* name) {
  return std::find(parts.begin(), parts.end(), name) != parts.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(column_changes_test)

BOOST_AUTO_TEST_CASE(declared_types_read_as_the_server_makes_them) {
  auto t = sql::parse_declared_type("NUMERIC(12 , 3) ZEROFILL NOT NULL DEFAULT '1.5'");
  BOOST_REQUIRE(t);
  BOOST_CHECK_EQUAL(t->name, "DECIMAL");
  BOOST_CHECK_EQUAL(*t->length, 12u);
  BOOST_CHECK_EQUAL(*t->scale, 3u);
  BOOST_CHECK(t->is_unsigned);
  auto e = sql::parse_declared_type("enum('a','it''s','c\\'d') COMMENT 'auto_increment'");
  BOOST_REQUIRE(e);
  BOOST_CHECK_EQUAL(e->elements.size(), 3u);
  BOOST_CHECK_EQUAL(e->elements[1], "it's");
  BOOST_CHECK_EQUAL(e->elements[2], "c'd");
  BOOST_CHECK(!e->auto_increment);  // a word inside a string is not the attribute
  auto s = sql::parse_declared_type("SERIAL");
  BOOST_CHECK(s->name == "BIGINT" && s->is_unsigned && s->auto_increment);
  BOOST_CHECK_EQUAL(sql::parse_declared_type("text(300)")->name, "TEXT");
  BOOST_CHECK_EQUAL(sql::parse_declared_type("BLOB(200)")->name, "TINYBLOB");
  BOOST_CHECK_EQUAL(sql::parse_declared_type("float(30)")->name, "DOUBLE");
  BOOST_CHECK_EQUAL(sql::parse_declared_type("character varying(5)")->name, "VARCHAR");
  BOOST_CHECK_EQUAL(sql::parse_declared_type("double precision")->name, "DOUBLE");
  BOOST_CHECK(!sql::parse_declared_type("(1)"));
}

BOOST_AUTO_TEST_CASE(each_family_names_its_narrowing_and_only_that) {
  struct row {
    const char* before;
    const char* after;
    const char* parts;
  };
  const row rows[] = {
      // integers: the range must hold the old one
      {"int(11)", "BIGINT", ""},
      {"bigint(20)", "INT", "value range decrease"},
      {"int(11)", "INT UNSIGNED", "value range decrease"},
      {"int(10) unsigned", "BIGINT", ""},
      {"int(10) unsigned", "INT", "value range decrease"},
      {"tinyint(1)", "BOOLEAN", ""},
      {"int(11)", "INT(3)", ""},  // a display width is not a range
      // DECIMAL: integer digits are range, fractional digits precision
      {"decimal(10,2)", "DECIMAL(12,2)", ""},
      {"decimal(10,2)", "DECIMAL(10,4)", "value range decrease"},
      {"decimal(10,2)", "DECIMAL(9,1)", "precision decrease"},
      {"decimal(10,2)", "DECIMAL(8,1)", "value range decrease, precision decrease"},
      {"decimal(10,0)", "DECIMAL", ""},
      {"decimal(10,2)", "DECIMAL(10,2) UNSIGNED", "value range decrease"},
      // floating point
      {"double", "FLOAT", "precision decrease"},
      {"float", "DOUBLE", ""},
      {"double(10,4)", "DOUBLE(10,2)", "precision decrease"},
      {"double(10,4)", "DOUBLE(7,2)", "value range decrease, precision decrease"},
      {"double(10,4)", "DOUBLE(8,2)", "precision decrease"},
      // strings, characters and bytes apart
      {"varchar(20)", "VARCHAR(10)", "value range decrease"},
      {"varchar(20)", "VARCHAR(40) CHARACTER SET utf8mb4", ""},
      {"varchar(300)", "TINYTEXT", "value range decrease"},
      {"text", "VARCHAR(100)", "value range decrease"},
      {"char(10)", "VARCHAR(10)", ""},
      {"mediumtext", "TEXT", "value range decrease"},
      {"varbinary(16)", "BLOB", ""},
      {"binary(16)", "BINARY(20)", "precision decrease"},
      {"binary(16)", "BINARY(8)", "value range decrease, precision decrease"},
      {"varchar(20)", "VARBINARY(10)", ""},  // another family: modify column alone
      // ENUM/SET: old elements kept in order at the start
      {"enum('a','b')", "ENUM('a','b','c')", ""},
      {"enum('a','b')", "ENUM('b','a')", "value range decrease"},
      {"enum('a','b','c')", "ENUM('a','b')", "value range decrease"},
      {"set('x','y')", "SET(\"x\",'y','z')", ""},
      // date and time
      {"datetime(6)", "DATETIME(3)", "precision decrease"},
      {"datetime", "DATE", "precision decrease"},
      {"date", "DATETIME", ""},
      {"datetime", "TIMESTAMP", "value range decrease"},
      {"time(3)", "TIME", "precision decrease"},
      {"time", "DATETIME", ""},
      // bits
      {"bit(8)", "BIT(4)", "value range decrease"},
      {"bit(1)", "BIT", ""},
      // other families: nothing beyond modify column
      {"int(11)", "VARCHAR(5)", ""},
      {"decimal(10,2)", "DOUBLE", ""},
  };
  for (const auto& r : rows)
    BOOST_TEST_CONTEXT(r.before << " -> " << r.after) {
      BOOST_CHECK_EQUAL(parts_of(r.before, r.after), r.parts);
    }
}

BOOST_AUTO_TEST_CASE(alter_table_compares_with_the_definition_before_it) {
  sql::table_definition before;
  before.columns["ID"] = *sql::parse_declared_type("bigint(20)");
  before.columns["ID"].auto_increment = true;
  before.columns["CODE"] = *sql::parse_declared_type("varchar(32)");
  before.columns["A"] = *sql::parse_declared_type("int(11)");
  before.columns["B"] = *sql::parse_declared_type("int(11)");
  before.unique_indexes["UK_CODE"] = {"CODE"};
  before.unique_indexes["UK_AB"] = {"A", "B"};

  auto modify = sql::alter_table_parts("ALTER TABLE t MODIFY COLUMN `id` BIGINT NOT NULL", {},
                                       &before);
  BOOST_CHECK(has(modify, "remove auto increment"));
  BOOST_CHECK(has(modify, "modify column"));
  BOOST_CHECK(!has(modify, "value range decrease"));
  auto kept = sql::alter_table_parts("ALTER TABLE t MODIFY id BIGINT AUTO_INCREMENT", {}, &before);
  BOOST_CHECK(!has(kept, "remove auto increment"));
  auto change = sql::alter_table_parts("ALTER TABLE t CHANGE code label VARCHAR(8)", {}, &before);
  BOOST_CHECK(has(change, "value range decrease") && has(change, "rename column"));
  BOOST_CHECK(has(sql::alter_table_parts("ALTER TABLE t DROP INDEX uk_code", {}, &before),
                  "drop unique key"));
  BOOST_CHECK(has(sql::alter_table_parts("ALTER TABLE t DROP KEY IF EXISTS `UK_AB`", {}, &before),
                  "drop unique key"));
  BOOST_CHECK(!has(sql::alter_table_parts("ALTER TABLE t DROP INDEX other", {}, &before),
                   "drop unique key"));
  // A unique index goes when all its columns go.
  BOOST_CHECK(!has(sql::alter_table_parts("ALTER TABLE t DROP COLUMN a", {}, &before),
                   "drop unique key"));
  BOOST_CHECK(has(sql::alter_table_parts("ALTER TABLE t DROP a, DROP COLUMN b", {}, &before),
                  "drop unique key"));
  BOOST_CHECK(has(sql::drop_index_parts("DROP INDEX `uk_code` ON t", {}, &before),
                  "drop unique key"));
  BOOST_CHECK(sql::drop_index_parts("DROP INDEX idx ON t", {}, &before).empty());
  // Without the definition, none of these names.
  auto blind = sql::alter_table_parts("ALTER TABLE t MODIFY id INT, DROP INDEX uk_code");
  BOOST_CHECK(!has(blind, "value range decrease") && !has(blind, "drop unique key") &&
              !has(blind, "remove auto increment"));
  // A column the definition does not know: nothing beyond modify column.
  auto unknown = sql::alter_table_parts("ALTER TABLE t MODIFY ghost TINYINT", {}, &before);
  BOOST_CHECK(has(unknown, "modify column") && !has(unknown, "value range decrease"));
}

BOOST_AUTO_TEST_SUITE_END()
