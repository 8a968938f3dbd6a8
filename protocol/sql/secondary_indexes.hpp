// Splits a CREATE TABLE into the table without its plain secondary indexes and those indexes,
// so that a bulk load fills the table first and builds each index once, by sorting, afterwards
// (much cheaper than keeping a B-tree ordered under every inserted row).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dm::sql {

struct deferrable_indexes {
  // The statement without the deferred index definitions; the input unchanged when none are.
  std::string create_table;
  // The deferred definitions as written ("KEY `k` (`c`) COMMENT '...'"), in order; each is
  // added back by ALTER TABLE ... ADD <definition>.
  std::vector<std::string> indexes;
};

// Reads a CREATE TABLE as SHOW CREATE TABLE prints it. Deferred are the non-unique B-tree
// indexes (KEY or INDEX definitions). Nothing is deferred from a table that is not InnoDB, that
// has a FOREIGN KEY (its indexes back the constraint), or when the statement cannot be read;
// an index whose first column is the AUTO_INCREMENT column stays (that column needs one).
// Primary, unique, fulltext and spatial keys always stay: they decide duplicates or are costly
// to add later.
deferrable_indexes split_secondary_indexes(std::string_view create_table);

}  // namespace dm::sql
