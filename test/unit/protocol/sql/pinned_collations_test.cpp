// collation_compatible: strict: a character set named without a collation gets the upstream's
// default collation of that set, in column definitions and option lists, and nowhere else.
#include <boost/test/unit_test.hpp>

#include "protocol/sql/pinned_collations.hpp"

using namespace dm;

namespace {

const sql::default_collations defaults{{"utf8mb4", "utf8mb4_0900_ai_ci"},
                                       {"latin1", "latin1_swedish_ci"},
                                       {"utf8mb3", "utf8mb3_general_ci"},
                                       {"binary", "binary"}};

std::string pinned(const char* sql) { return sql::pin_default_collations(sql, defaults); }

}  // namespace

BOOST_AUTO_TEST_SUITE(pinned_collations_test)

BOOST_AUTO_TEST_CASE(sets_without_a_collation_get_the_upstream_default) {
  BOOST_CHECK_EQUAL(pinned("CREATE DATABASE d CHARACTER SET utf8mb4"),
                    "CREATE DATABASE d CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci");
  BOOST_CHECK_EQUAL(pinned("CREATE DATABASE `d` /*!40100 DEFAULT CHARACTER SET latin1 */"),
                    "CREATE DATABASE `d` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE "
                    "latin1_swedish_ci */");
  BOOST_CHECK_EQUAL(
      pinned("CREATE TABLE t (a VARCHAR(10) CHARACTER SET latin1, b VARCHAR(10) CHARSET "
             "utf8mb4 COLLATE utf8mb4_bin, c TEXT COLLATE latin1_bin CHARACTER SET latin1, d "
             "INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"),
      "CREATE TABLE t (a VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci, b "
      "VARCHAR(10) CHARSET utf8mb4 COLLATE utf8mb4_bin, c TEXT COLLATE latin1_bin CHARACTER SET "
      "latin1, d INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_0900_ai_ci");
  // The table's options already naming a collation keep theirs.
  BOOST_CHECK_EQUAL(pinned("CREATE TABLE t (a INT) DEFAULT CHARSET=latin1 COLLATE=latin1_bin"),
                    "CREATE TABLE t (a INT) DEFAULT CHARSET=latin1 COLLATE=latin1_bin");
  BOOST_CHECK_EQUAL(pinned("ALTER TABLE `d`.`t` ADD COLUMN IF NOT EXISTS (a TEXT CHARSET latin1, "
                           "b INT)"),
                    "ALTER TABLE `d`.`t` ADD COLUMN IF NOT EXISTS (a TEXT CHARSET latin1 COLLATE "
                    "latin1_swedish_ci, b INT)");
  BOOST_CHECK_EQUAL(pinned("CREATE TABLE IF NOT EXISTS d.t (a TEXT CHARACTER SET latin1)"),
                    "CREATE TABLE IF NOT EXISTS d.t (a TEXT CHARACTER SET latin1 COLLATE "
                    "latin1_swedish_ci)");
  BOOST_CHECK_EQUAL(
      pinned("ALTER TABLE t MODIFY a VARCHAR(5) CHARACTER SET 'utf8', CONVERT TO CHARACTER SET "
             "utf8mb4 COLLATE utf8mb4_bin"),
      "ALTER TABLE t MODIFY a VARCHAR(5) CHARACTER SET 'utf8' COLLATE utf8mb3_general_ci, "
      "CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
}

BOOST_AUTO_TEST_CASE(expressions_other_statements_and_unknown_sets_stay_as_written) {
  for (const char* same :
       {"CREATE TABLE t (a VARCHAR(9), g VARCHAR(9) AS (CONVERT(a USING latin1)), h CHAR(3) AS "
        "(CAST(a AS CHAR(3) CHARACTER SET latin1)))",
        "CREATE TABLE t (a VARBINARY(4) CHARACTER SET binary)",
        "CREATE TABLE t (a VARCHAR(4) CHARACTER SET koi8r)",
        "INSERT INTO t VALUES ('CHARACTER SET latin1')",
        "SELECT CAST(x AS CHAR CHARACTER SET utf8mb4)", "CREATE TABLE t2 LIKE t",
        "CREATE TABLE t (a VARCHAR(9) CHARACTER SET latin1 BINARY, b VARCHAR(9) BINARY CHARACTER "
        "SET latin1)",
        "CREATE TABLE t (a INT) DEFAULT CHARSET=latin1, COLLATE=latin1_bin",
        "CREATE TABLE t (a INT) COLLATE=latin1_bin, DEFAULT CHARSET=latin1",
        "ALTER TABLE t COLLATE latin1_bin, CHARACTER SET latin1",
        "CREATE TABLE t (j JSON, INDEX i ((JSON_VALUE(j, '$.a' RETURNING CHAR(9) CHARACTER SET "
        "utf8mb4))))",
        "ALTER TABLE t ADD COLUMN g VARCHAR(9) AS (JSON_VALUE(j, '$.a' RETURNING CHAR(9) "
        "CHARACTER SET latin1))",
        "CREATE TABLE t AS SELECT CAST(a AS CHAR CHARACTER SET latin1) AS c FROM u"})
    BOOST_CHECK_EQUAL(pinned(same), same);
  BOOST_CHECK_EQUAL(sql::pin_default_collations("CREATE DATABASE d CHARSET latin1", {}),
                    "CREATE DATABASE d CHARSET latin1");
}

BOOST_AUTO_TEST_SUITE_END()
