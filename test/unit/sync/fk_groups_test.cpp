// Which tables foreign keys group together (one serial group per connected graph).
#include <boost/test/unit_test.hpp>

#include "sync/fk_groups.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(fk_groups_test)

BOOST_AUTO_TEST_CASE(tables_linked_by_any_chain_of_foreign_keys_form_one_group) {
  struct row {
    const char* what;
    std::vector<fk_edge> edges;
    std::map<std::string, std::string> groups;
  };
  const std::vector<row> table = {
      {"no foreign keys", {}, {}},
      {"a chain of three levels",
       {{"`d`.`child`", "`d`.`parent`"}, {"`d`.`grand`", "`d`.`child`"}},
       {{"`d`.`child`", "foreign keys of `d`.`child`"},
        {"`d`.`grand`", "foreign keys of `d`.`child`"},
        {"`d`.`parent`", "foreign keys of `d`.`child`"}}},
      {"a table referencing itself", {{"`d`.`tree`", "`d`.`tree`"}},
       {{"`d`.`tree`", "foreign keys of `d`.`tree`"}}},
      {"two parents of one child across databases, and a separate pair",
       {{"`a`.`c`", "`b`.`p1`"}, {"`a`.`c`", "`a`.`p2`"}, {"`z`.`y`", "`z`.`x`"}},
       {{"`a`.`c`", "foreign keys of `a`.`c`"},
        {"`a`.`p2`", "foreign keys of `a`.`c`"},
        {"`b`.`p1`", "foreign keys of `a`.`c`"},
        {"`z`.`x`", "foreign keys of `z`.`x`"},
        {"`z`.`y`", "foreign keys of `z`.`x`"}}},
      {"names differing only in case are different tables", {{"`d`.`T`", "`d`.`P`"}},
       {{"`d`.`P`", "foreign keys of `d`.`P`"}, {"`d`.`T`", "foreign keys of `d`.`P`"}}},
  };
  for (auto& r : table) BOOST_CHECK_MESSAGE(fk_groups(r.edges) == r.groups, r.what);
}

BOOST_AUTO_TEST_SUITE_END()
