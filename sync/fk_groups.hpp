// Tables linked by foreign keys, grouped. InnoDB runs ON DELETE/UPDATE CASCADE and SET NULL
// itself and does not log what they change, so downstream the same cascades must run: the
// changes of every table one foreign-key graph connects are applied with foreign key checks on,
// in binlog order, by one applier, exactly once (a serial group, apply_marks.hpp). A child's
// change then never overtakes its parent's, nor a parent's cascade a later child change.
//
// Pure logic over the graph's edges; schema_resolver reads them from the downstream.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dm {

// A foreign key: the quoted `db`.`table` of the child, and of the parent it references.
struct fk_edge {
  std::string child;
  std::string parent;
};

// The group of each table a foreign key touches: tables connected through any chain of
// foreign keys (in either direction) share one name, "foreign keys of " + the smallest of their
// names. Tables in no foreign key are absent.
std::map<std::string, std::string> fk_groups(const std::vector<fk_edge>& edges);

}  // namespace dm
