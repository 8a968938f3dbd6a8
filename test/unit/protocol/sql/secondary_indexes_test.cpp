#include <boost/test/unit_test.hpp>

#include "protocol/sql/secondary_indexes.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(secondary_indexes_test)

BOOST_AUTO_TEST_CASE(plain_keys_are_taken_out_and_everything_else_stays) {
  auto split = sql::split_secondary_indexes(
      "CREATE TABLE IF NOT EXISTS `d`.`t` (\n"
      "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
      "  `k` int(11) NOT NULL DEFAULT 0,\n"
      "  `c` char(120) NOT NULL DEFAULT '' COMMENT 'a, (b',\n"
      "  `key` varchar(10) DEFAULT NULL,\n"
      "  PRIMARY KEY (`id`),\n"
      "  UNIQUE KEY `u` (`c`),\n"
      "  KEY `k_1` (`k`),\n"
      "  FULLTEXT KEY `f` (`c`),\n"
      "  KEY `two, ``odd``` (`key`(5),`k`) COMMENT 'x,y' /*!80000 INVISIBLE */\n"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  BOOST_CHECK_EQUAL(split.create_table,
                    "CREATE TABLE IF NOT EXISTS `d`.`t` (\n"
                    "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
                    "  `k` int(11) NOT NULL DEFAULT 0,\n"
                    "  `c` char(120) NOT NULL DEFAULT '' COMMENT 'a, (b',\n"
                    "  `key` varchar(10) DEFAULT NULL,\n"
                    "  PRIMARY KEY (`id`),\n"
                    "  UNIQUE KEY `u` (`c`),\n"
                    "  FULLTEXT KEY `f` (`c`)\n"
                    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  BOOST_REQUIRE_EQUAL(split.indexes.size(), 2u);
  BOOST_CHECK_EQUAL(split.indexes[0], "KEY `k_1` (`k`)");
  BOOST_CHECK_EQUAL(split.indexes[1],
                    "KEY `two, ``odd``` (`key`(5),`k`) COMMENT 'x,y' /*!80000 INVISIBLE */");
}

BOOST_AUTO_TEST_CASE(the_auto_increment_columns_index_stays) {
  std::string create =
      "CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `id` bigint NOT NULL AUTO_INCREMENT,\n"
      "  PRIMARY KEY (`a`),\n  KEY `by_id` (`id`),\n  KEY `by_a` (`a`,`id`)\n) ENGINE=InnoDB";
  auto split = sql::split_secondary_indexes(create);
  BOOST_CHECK_EQUAL(split.create_table,
                    "CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `id` bigint NOT NULL "
                    "AUTO_INCREMENT,\n  PRIMARY KEY (`a`),\n  KEY `by_id` (`id`)\n) ENGINE=InnoDB");
  BOOST_REQUIRE_EQUAL(split.indexes.size(), 1u);
  BOOST_CHECK_EQUAL(split.indexes[0], "KEY `by_a` (`a`,`id`)");
}

BOOST_AUTO_TEST_CASE(nothing_is_deferred_where_it_is_not_safe_or_not_innodb) {
  for (std::string create : {
           // Its indexes back a foreign key.
           std::string{"CREATE TABLE `c` (\n  `id` int NOT NULL,\n  `p` int,\n  PRIMARY KEY "
                       "(`id`),\n  KEY `p` (`p`),\n  CONSTRAINT `fk` FOREIGN KEY (`p`) "
                       "REFERENCES `p` (`id`)\n) ENGINE=InnoDB"},
           // Not InnoDB, or no engine shown.
           std::string{"CREATE TABLE `m` (\n  `a` int,\n  KEY `a` (`a`)\n) ENGINE=MyISAM"},
           std::string{"CREATE TABLE `m` (\n  `a` int,\n  KEY `a` (`a`)\n)"},
           // Unreadable.
           std::string{"CREATE TABLE `x` (\n  `a` int,\n  KEY `a` (`a`"},
           std::string{"not a create statement"},
       }) {
    auto split = sql::split_secondary_indexes(create);
    BOOST_CHECK_EQUAL(split.create_table, create);
    BOOST_CHECK(split.indexes.empty());
  }
}

BOOST_AUTO_TEST_CASE(partitioned_and_keyless_tables_keep_their_tail) {
  std::string create =
      "CREATE TABLE `p` (\n  `a` int NOT NULL,\n  `b` int DEFAULT NULL,\n  KEY `b` (`b`)\n) "
      "ENGINE=InnoDB DEFAULT CHARSET=latin1\n PARTITION BY HASH (`a`)\nPARTITIONS 4";
  auto split = sql::split_secondary_indexes(create);
  BOOST_CHECK_EQUAL(split.create_table,
                    "CREATE TABLE `p` (\n  `a` int NOT NULL,\n  `b` int DEFAULT NULL\n) "
                    "ENGINE=InnoDB DEFAULT CHARSET=latin1\n PARTITION BY HASH (`a`)\nPARTITIONS 4");
  BOOST_REQUIRE_EQUAL(split.indexes.size(), 1u);
  BOOST_CHECK_EQUAL(split.indexes[0], "KEY `b` (`b`)");
}

BOOST_AUTO_TEST_SUITE_END()
