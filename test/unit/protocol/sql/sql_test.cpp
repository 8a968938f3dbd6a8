#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "protocol/sql/ddl.hpp"
#include "protocol/sql/dml.hpp"
#include "protocol/sql/literal.hpp"
#include "protocol/sql/quote.hpp"

using namespace dm;
using binlog::cell;
using binlog::cell_kind;

namespace {

cell make(cell_kind kind, uint64_t u = 0, uint8_t width = 0, std::string text = {}) {
  cell c;
  c.kind = kind;
  c.u = u;
  c.width = width;
  c.text = std::move(text);
  return c;
}

std::string lit(const cell& c, const column_def& def = {}) {
  std::string out;
  BOOST_REQUIRE(!sql::append_literal(out, c, def));
  return out;
}

table_schema two_columns() {
  table_schema s;
  s.db = "d";
  s.table = "t";
  s.columns = {{"id", false, "", false, 0, ""}, {"name", false, "utf8mb4", false, 0, ""}};
  s.primary_key = {0};
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sql_test)

BOOST_AUTO_TEST_CASE(identifiers_double_backticks) {
  std::string out;
  sql::append_identifier(out, "we`ird name");
  BOOST_CHECK_EQUAL(out, "`we``ird name`");
  BOOST_CHECK_EQUAL(sql::qualified_name("a", "b`"), "`a`.`b```");
}

BOOST_AUTO_TEST_CASE(strings_escape_every_special_byte) {
  std::string out;
  sql::append_string_literal(out, std::string{"a'b\\c\0d\ne\rf\x1a", 12}, "utf8mb3");
  BOOST_CHECK_EQUAL(out, "_utf8'a\\'b\\\\c\\0d\\ne\\rf\\Z'");
}

BOOST_AUTO_TEST_CASE(integers_follow_signedness_and_width) {
  column_def unsigned_col;
  unsigned_col.is_unsigned = true;
  BOOST_CHECK_EQUAL(lit(make(cell_kind::integer, 0xff, 1)), "-1");
  BOOST_CHECK_EQUAL(lit(make(cell_kind::integer, 0xff, 1), unsigned_col), "255");
  BOOST_CHECK_EQUAL(lit(make(cell_kind::integer, 0x800000, 3)), "-8388608");
  BOOST_CHECK_EQUAL(lit(make(cell_kind::integer, 0x8000000000000000ull, 8)),
                    "-9223372036854775808");
  BOOST_CHECK_EQUAL(lit(make(cell_kind::integer, UINT64_MAX, 8), unsigned_col),
                    "18446744073709551615");
}

BOOST_AUTO_TEST_CASE(floats_round_trip) {
  for (float f : {1.1f, -3.4028235e38f, 1.17549435e-38f, 0.1f, 16777217.0f}) {
    auto c = make(cell_kind::float32);
    c.d = f;
    BOOST_CHECK_EQUAL(std::strtof(lit(c).c_str(), nullptr), f);
    // Through a double, as servers parse literals.
    BOOST_CHECK_EQUAL(static_cast<float>(std::strtod(lit(c).c_str(), nullptr)), f);
  }
  for (double d : {0.1, 1e308, -2.2250738585072014e-308, 123456789.123456789}) {
    auto c = make(cell_kind::float64);
    c.d = d;
    BOOST_CHECK_EQUAL(std::strtod(lit(c).c_str(), nullptr), d);
  }
  // Whole numbers as floating-point literals; a FLOAT's negative zero as a value its column
  // underflows to -0 (servers store a -0 they are given as 0).
  column_def float_col;
  float_col.data_type = "float";
  for (auto kind : {cell_kind::float32, cell_kind::float64}) {
    auto c = make(kind);
    c.d = 0.0;
    BOOST_CHECK_EQUAL(lit(c), "0e0");
    c.d = 5;
    BOOST_CHECK_EQUAL(lit(c), "5e0");
  }
  auto negative_zero = make(cell_kind::float32);
  negative_zero.d = -0.0;
  BOOST_CHECK_EQUAL(lit(negative_zero, float_col), "-1e-50");
  BOOST_CHECK_EQUAL(static_cast<float>(std::strtod("-1e-50", nullptr)), -0.0f);
  BOOST_CHECK(std::signbit(static_cast<float>(std::strtod("-1e-50", nullptr))));
}

BOOST_AUTO_TEST_CASE(timestamps_render_in_utc) {
  BOOST_CHECK_EQUAL(sql::utc_timestamp_text(0, 0, 0), "0000-00-00 00:00:00");
  BOOST_CHECK_EQUAL(sql::utc_timestamp_text(1, 0, 0), "1970-01-01 00:00:01");
  BOOST_CHECK_EQUAL(sql::utc_timestamp_text(951782400, 123456, 6), "2000-02-29 00:00:00.123456");
  BOOST_CHECK_EQUAL(sql::utc_timestamp_text(2147483647, 500000, 1), "2038-01-19 03:14:07.5");
  auto ts = make(cell_kind::timestamp, 1577836800);
  ts.frac = 120000;
  ts.width = 3;
  BOOST_CHECK_EQUAL(lit(ts), "'2020-01-01 00:00:00.120'");
}

BOOST_AUTO_TEST_CASE(insert_update_delete_statements) {
  auto s = two_columns();
  std::vector<cell> a{make(cell_kind::integer, 1, 4), make(cell_kind::string, 0, 0, "x")};
  std::vector<cell> b{make(cell_kind::integer, 2, 4), make(cell_kind::null)};
  std::string out;
  BOOST_REQUIRE(!sql::append_insert(out, "`d`.`t`", s, {&a, &b}, false));
  BOOST_CHECK_EQUAL(out, "INSERT INTO `d`.`t` (`id`,`name`) VALUES (1,_utf8mb4'x'),(2,NULL)");
  out.clear();
  BOOST_REQUIRE(!sql::append_update(out, "`d`.`t`", s, a, b));
  BOOST_CHECK_EQUAL(out, "UPDATE `d`.`t` SET `id`=2,`name`=NULL WHERE `id`=1 LIMIT 1");
  out.clear();
  s.primary_key.clear();
  BOOST_REQUIRE(!sql::append_delete(out, "`d`.`t`", s, b));
  BOOST_CHECK_EQUAL(out, "DELETE FROM `d`.`t` WHERE `id`=2 AND `name` IS NULL LIMIT 1");
}

// A merged table's extract columns (constant per upstream table): written with every row,
// part of every condition, so rows of other shards with the same key are never touched.
BOOST_AUTO_TEST_CASE(constant_columns_are_written_and_matched) {
  auto s = two_columns();
  s.constant_columns = {{"c_source", "east"}, {"c_table", "a"}};
  std::vector<cell> a{make(cell_kind::integer, 1, 4), make(cell_kind::string, 0, 0, "x")};
  std::vector<cell> b{make(cell_kind::integer, 2, 4), make(cell_kind::null)};
  std::string out;
  BOOST_REQUIRE(!sql::append_insert(out, "`d`.`t`", s, {&a, &b}, true));
  BOOST_CHECK_EQUAL(out, "REPLACE INTO `d`.`t` (`id`,`name`,`c_source`,`c_table`) VALUES "
                         "(1,_utf8mb4'x',_utf8mb4'east',_utf8mb4'a'),"
                         "(2,NULL,_utf8mb4'east',_utf8mb4'a')");
  out.clear();
  BOOST_REQUIRE(!sql::append_update(out, "`d`.`t`", s, a, b));
  BOOST_CHECK_EQUAL(out, "UPDATE `d`.`t` SET `id`=2,`name`=NULL WHERE `id`=1 AND "
                         "`c_source`=_utf8mb4'east' AND `c_table`=_utf8mb4'a' LIMIT 1");
  out.clear();
  BOOST_REQUIRE(!sql::append_delete_keys(out, "`d`.`t`", s, {&a, &b}));
  BOOST_CHECK_EQUAL(out, "DELETE FROM `d`.`t` WHERE `id` IN (1,2) AND "
                         "`c_source`=_utf8mb4'east' AND `c_table`=_utf8mb4'a'");
  out.clear();
  s.primary_key.clear();
  BOOST_REQUIRE(!sql::append_delete(out, "`d`.`t`", s, b));
  BOOST_CHECK_EQUAL(out, "DELETE FROM `d`.`t` WHERE `id`=2 AND `name` IS NULL AND "
                         "`c_source`=_utf8mb4'east' AND `c_table`=_utf8mb4'a' LIMIT 1");
}

BOOST_AUTO_TEST_CASE(keyless_rows_match_floats_as_the_doubles_they_widen_to) {
  table_schema s;
  s.db = "d";
  s.table = "t";
  s.columns = {{"f", false, "", false, 0, ""}, {"g", false, "", false, 0, ""}};
  auto f = make(cell_kind::float32);
  f.d = static_cast<double>(1.1f);
  auto g = make(cell_kind::float64);
  g.d = 1e300;
  std::string out;
  BOOST_REQUIRE(!sql::append_delete(out, "`d`.`t`", s, {f, g}));
  BOOST_CHECK_EQUAL(out, "DELETE FROM `d`.`t` WHERE `f`=1.100000023841858E0 AND `g`=1e+300 LIMIT 1");
}

BOOST_AUTO_TEST_CASE(generated_and_absent_columns_are_not_written) {
  auto s = two_columns();
  s.columns[1].generated = true;
  std::vector<cell> row{make(cell_kind::integer, 5, 4), make(cell_kind::string, 0, 0, "g")};
  std::string out;
  BOOST_REQUIRE(!sql::append_insert(out, "`d`.`t`", s, {&row}, true));
  BOOST_CHECK_EQUAL(out, "REPLACE INTO `d`.`t` (`id`) VALUES (5)");
  std::vector<cell> partial{make(cell_kind::absent), make(cell_kind::string, 0, 0, "y")};
  out.clear();
  auto err = sql::append_update(out, "`d`.`t`", two_columns(), partial, partial);
  BOOST_CHECK(err);  // the key column is not in the before image
}

BOOST_AUTO_TEST_CASE(statements_are_classified_by_leading_keywords) {
  using sql::statement_kind;
  struct {
    const char* sql;
    statement_kind kind;
  } cases[] = {
      {"BEGIN", statement_kind::transaction_control},
      {"XA COMMIT 'x'", statement_kind::transaction_control},
      {"create database if not exists d", statement_kind::create_database},
      {"CREATE SCHEMA d", statement_kind::create_database},
      {"/* c */ CREATE TABLE t (a int)", statement_kind::create_table},
      {"CREATE OR REPLACE TABLE t (a int)", statement_kind::create_table},
      {"create unique index i on t (a)", statement_kind::create_index},
      {"ALTER TABLE t ADD COLUMN b int", statement_kind::alter_table},
      {"ALTER ONLINE TABLE t ADD COLUMN b int", statement_kind::alter_table},
      {"DROP TABLE IF EXISTS `t` /* generated by server */", statement_kind::drop_table},
      {"drop index i on t", statement_kind::drop_index},
      {"RENAME TABLE a TO b", statement_kind::rename_table},
      {"TRUNCATE t", statement_kind::truncate_table},
      {"GRANT ALL ON *.* TO u", statement_kind::other},
      {"CREATE DEFINER=`root`@`%` VIEW v AS SELECT 1", statement_kind::other},
      {"CREATE USER u", statement_kind::other},
      {"DROP PROCEDURE p", statement_kind::other},
      {"", statement_kind::other},
  };
  for (auto& c : cases)
    BOOST_CHECK_MESSAGE(sql::classify_statement(c.sql) == c.kind,
                        c.sql << " -> " << sql::to_string(sql::classify_statement(c.sql)));
}

BOOST_AUTO_TEST_SUITE_END()
