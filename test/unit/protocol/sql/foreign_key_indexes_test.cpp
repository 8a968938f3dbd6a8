#include <boost/test/unit_test.hpp>

#include "protocol/sql/foreign_key_indexes.hpp"

using namespace dm;

namespace {

// As SHOW CREATE TABLE prints a table whose foreign keys got implicit indexes: `p_u` for an
// unnamed constraint, `fk_b` for a named one; `k_c` and `k_ab` are the user's own.
const char* const child =
    "CREATE TABLE `c` (\n"
    "  `id` int(11) NOT NULL,\n"
    "  `p_u` int(11) DEFAULT NULL,\n"
    "  `b` int(11) DEFAULT NULL,\n"
    "  `c` varchar(20) DEFAULT NULL,\n"
    "  PRIMARY KEY (`id`),\n"
    "  KEY `p_u` (`p_u`),\n"
    "  KEY `k_c` (`c`(5)),\n"
    "  KEY `fk_b` (`b`,`p_u`),\n"
    "  KEY `k_ab` (`b`,`p_u`),\n"
    "  CONSTRAINT `c_ibfk_1` FOREIGN KEY (`p_u`) REFERENCES `p` (`id`) ON DELETE CASCADE,\n"
    "  CONSTRAINT `fk_b` FOREIGN KEY (`b`, `p_u`) REFERENCES `p` (`a`, `id`)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

}  // namespace

BOOST_AUTO_TEST_SUITE(foreign_key_indexes_test)

BOOST_AUTO_TEST_CASE(keys_over_exactly_a_foreign_keys_columns_are_the_candidates) {
  auto candidates = sql::foreign_key_index_candidates(child);
  BOOST_REQUIRE_EQUAL(candidates.size(), 3u);
  BOOST_CHECK_EQUAL(candidates[0].name, "p_u");
  BOOST_CHECK_EQUAL(candidates[1].name, "fk_b");
  BOOST_CHECK_EQUAL(candidates[2].name, "k_ab");
  BOOST_CHECK(candidates[1].columns == (std::vector<std::string>{"b", "p_u"}));
}

BOOST_AUTO_TEST_CASE(an_implicit_key_is_replaced_by_its_constraint_in_place) {
  auto folded = sql::fold_implicit_indexes(child, {"fk_b", "p_u"}, "c");
  BOOST_CHECK_EQUAL(folded,
                    "CREATE TABLE `c` (\n"
                    "  `id` int(11) NOT NULL,\n"
                    "  `p_u` int(11) DEFAULT NULL,\n"
                    "  `b` int(11) DEFAULT NULL,\n"
                    "  `c` varchar(20) DEFAULT NULL,\n"
                    "  PRIMARY KEY (`id`),\n"
                    "  FOREIGN KEY (`p_u`) REFERENCES `p` (`id`) ON DELETE CASCADE,\n"
                    "  KEY `k_c` (`c`(5)),\n"
                    "  CONSTRAINT `fk_b` FOREIGN KEY (`b`, `p_u`) REFERENCES `p` (`a`, `id`),\n"
                    "  KEY `k_ab` (`b`,`p_u`)\n"
                    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
}

// The server would name an unnamed constraint of table `other` other_ibfk_1, not c_ibfk_1: that
// key stays explicit (the constraint keeps its name); the key named like its constraint folds.
BOOST_AUTO_TEST_CASE(an_unnamed_constraint_folds_only_where_the_server_would_name_it_so) {
  auto folded = sql::fold_implicit_indexes(child, {"fk_b", "p_u"}, "other");
  BOOST_CHECK(folded.find("  KEY `p_u` (`p_u`),\n") != std::string::npos);
  BOOST_CHECK(folded.find("CONSTRAINT `c_ibfk_1` FOREIGN KEY") != std::string::npos);
  BOOST_CHECK(folded.find("KEY `fk_b`") == std::string::npos);
  BOOST_CHECK(folded.find("  CONSTRAINT `fk_b` FOREIGN KEY (`b`, `p_u`) REFERENCES `p` (`a`, "
                          "`id`),\n  KEY `k_ab`") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(explicit_keys_and_unknown_names_leave_the_statement_as_it_is) {
  BOOST_CHECK_EQUAL(sql::fold_implicit_indexes(child, {}, "c"), child);
  BOOST_CHECK_EQUAL(sql::fold_implicit_indexes(child, {"k_c", "nothing"}, "c"), child);
  BOOST_CHECK_EQUAL(sql::fold_implicit_indexes("not a table", {"p_u"}, "c"), "not a table");
  BOOST_CHECK(
      sql::foreign_key_index_candidates("CREATE TABLE `t` (`a` int, KEY `a` (`a`))").empty());
}

BOOST_AUTO_TEST_CASE(the_declared_names_are_every_key_and_constraint) {
  auto names = sql::declared_key_names(child);
  BOOST_CHECK(names.keys == (std::set<std::string>{"PRIMARY", "p_u", "k_c", "fk_b", "k_ab"}));
  BOOST_CHECK(names.foreign_keys == (std::set<std::string>{"c_ibfk_1", "fk_b"}));
  BOOST_CHECK_EQUAL(names.plain_keys.at("k_c"), "KEY `k_c` (`c`(5))");
  BOOST_CHECK_EQUAL(names.plain_keys.size(), 4u);
  auto unique = sql::declared_key_names(
      "CREATE TABLE `t` (`a` int, UNIQUE KEY `u` (`a`), FULLTEXT KEY `f` (`b`))");
  BOOST_CHECK(unique.keys == (std::set<std::string>{"u", "f"}));
}

BOOST_AUTO_TEST_SUITE_END()
