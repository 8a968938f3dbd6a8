#include <boost/test/unit_test.hpp>

#include "protocol/sql/dump_rows.hpp"

using namespace dm;

namespace {

column_def column(std::string name, std::string data_type, std::string charset = {},
                  bool generated = false) {
  column_def c;
  c.name = std::move(name);
  c.data_type = std::move(data_type);
  c.charset = std::move(charset);
  c.generated = generated;
  return c;
}

std::string field(std::optional<std::string_view> value) {
  std::string out;
  sql::append_load_field(out, value);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dump_rows_test)

BOOST_AUTO_TEST_CASE(load_fields_escape_exactly_the_bytes_load_data_reads_specially) {
  BOOST_CHECK_EQUAL(field(std::nullopt), "\\N");
  BOOST_CHECK_EQUAL(field(""), "");
  BOOST_CHECK_EQUAL(field("plain text, 名前 😀"), "plain text, 名前 😀");
  // A stored "\N" is two bytes, not NULL; the word NULL is text too.
  BOOST_CHECK_EQUAL(field("\\N"), "\\\\N");
  BOOST_CHECK_EQUAL(field("NULL"), "NULL");
  BOOST_CHECK_EQUAL(field(std::string_view{"a\tb\nc\rd\0e\\f", 11}), "a\\tb\\nc\\rd\\0e\\\\f");
  // Every other byte, including quotes, 0x1A and bytes that are not UTF-8, passes unchanged.
  std::string_view raw{"'\"\x1a\xff\xfe,", 6};
  BOOST_CHECK_EQUAL(field(raw), std::string{raw});
}

BOOST_AUTO_TEST_CASE(the_column_clause_converts_numbers_of_bit_enum_and_set_back) {
  table_schema t;
  t.columns = {column("id", "int"), column("flags", "bit"), column("name", "varchar", "utf8mb4"),
               column("total", "int", {}, true), column("kind", "enum", "latin1"),
               column("tags", "set", "utf8mb4"), column("doc", "json")};
  auto columns = sql::dumped_columns(t);
  BOOST_CHECK_EQUAL(columns.size(), 6u);  // the generated column is neither read nor loaded
  BOOST_CHECK_EQUAL(sql::dump_select_list(t, columns),
                    "`id`,`flags`+0,`name`,`kind`+0,`tags`+0,`doc`");
  BOOST_CHECK_EQUAL(sql::load_column_clause(t, columns),
                    "(`id`,@dm1,`name`,@dm4,@dm5,@dm6) SET `flags` = CAST(@dm1 AS UNSIGNED), "
                    "`kind` = CAST(@dm4 AS UNSIGNED), `tags` = CAST(@dm5 AS UNSIGNED), "
                    "`doc` = CONVERT(@dm6 USING utf8mb4)");
  // MariaDB's JSON is LONGTEXT with a charset: stored as it is.
  t.columns = {column("doc", "json", "utf8mb4"), column("we`ird", "text", "utf8mb4")};
  BOOST_CHECK_EQUAL(sql::load_column_clause(t, sql::dumped_columns(t)), "(`doc`,`we``ird`)");
  BOOST_CHECK_EQUAL(sql::load_column_clause(t, sql::dumped_columns(t), {{"c_table", "a"}}),
                    "(`doc`,`we``ird`) SET `c_table` = _utf8mb4'a'");
}

BOOST_AUTO_TEST_SUITE_END()
