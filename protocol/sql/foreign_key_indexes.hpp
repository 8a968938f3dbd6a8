// The indexes a server creates by itself for a foreign key, as seen in SHOW CREATE TABLE.
//
// MariaDB and MySQL give a foreign key without an index of its own an implicit one, and drop
// that index again as soon as another index can back the key (an ADD INDEX over the same first
// columns). SHOW CREATE TABLE prints the implicit index as an ordinary KEY, so a copy made from
// it holds an explicit index that a later ADD INDEX upstream does not drop downstream. These
// functions find the keys that may be implicit and rewrite the statement so that the server
// creates them implicitly again.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dm::sql {

struct foreign_key_index {
  std::string name;
  std::vector<std::string> columns;
};

// The plain KEY/INDEX definitions whose columns (in order, no prefix lengths) are exactly those
// of one of the table's FOREIGN KEY constraints: the only keys that can be implicit. Whether
// one is, only the server knows.
std::vector<foreign_key_index> foreign_key_index_candidates(std::string_view create_table);

// `create_table` (the statement for table `table`) with each key named in `implicit` replaced,
// where it stands, by the definition of a foreign key over the same columns (the one of the same
// name first), and that constraint taken out of its own place: the server then creates the index
// implicitly, at the same position among the keys. The server names an implicit index after its
// constraint, or after the first column when the constraint has no name in the statement; it
// then names the constraint `<table>_ibfk_<n>`, n counting such constraints in the order
// written. So a key named like its constraint is always folded, and keys named otherwise only
// when every such constraint of the table has exactly the name that counting gives it (as when
// the upstream named them so and no other constraint takes that form); otherwise those stay
// explicit. Names that match no candidate are ignored; unreadable input comes back unchanged.
std::string fold_implicit_indexes(std::string_view create_table,
                                  const std::vector<std::string>& implicit,
                                  const std::string& table);

struct declared_names {
  std::set<std::string> keys;          // every key, "PRIMARY" included
  std::set<std::string> foreign_keys;  // the constraints' names
  // The plain KEY/INDEX definitions as written, by name.
  std::map<std::string, std::string> plain_keys;
};

// The names of the keys and foreign keys a CREATE TABLE as printed by SHOW CREATE TABLE
// declares (each with its name written out).
declared_names declared_key_names(std::string_view create_table);

}  // namespace dm::sql
