// The SQL of exactly-once marks and of the meta tables: runs, binary names.
#include <boost/test/unit_test.hpp>

#include "sync/apply_marks.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(apply_marks_test)

BOOST_AUTO_TEST_CASE(marks_carry_the_run_and_compare_names_as_bytes) {
  meta_scope scope{"dm_meta", "task", "src"};
  change_origin origin{{1, 2, 345}, 6};
  auto sql = apply_mark_sql(scope, 99, "`d`.`T`", origin);
  BOOST_CHECK_EQUAL(sql,
                    "INSERT INTO `dm_meta`.`apply_marks` (task, source, grp, run, segment, "
                    "file_index, event_offset, row_index) VALUES ('task','src','`d`.`T`',99,1,2,"
                    "345,6) ON DUPLICATE KEY UPDATE run=VALUES(run), segment=VALUES(segment), "
                    "file_index=VALUES(file_index), event_offset=VALUES(event_offset), "
                    "row_index=VALUES(row_index)");
  // Every name column of the meta tables is binary.
  for (auto& ddl : meta_tables_ddl("dm_meta")) {
    BOOST_CHECK(ddl.find("VARCHAR") == std::string::npos);
    BOOST_CHECK(ddl.find("CHARSET") == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
