// Causality: changes sharing a primary or unique key value go to one applier, in order.
#include <boost/test/unit_test.hpp>

#include "sync/causality.hpp"
#include "test/unit/sync/sample_rows.hpp"

using namespace dm;
using dm::test::int_cell;
using dm::test::str_cell;
using dm::test::keyed_table;
using binlog::cell;
using binlog::cell_kind;

namespace {

}  // namespace

BOOST_AUTO_TEST_SUITE(causality_test)

BOOST_AUTO_TEST_CASE(changes_sharing_a_key_go_to_the_same_applier) {
  auto s = keyed_table();
  causality c{8};
  std::vector<std::string> k1, k2, k3;
  append_causality_keys(*s, "t", {int_cell(1), str_cell("Abc ")}, k1);
  append_causality_keys(*s, "t", {int_cell(2), str_cell("abc")}, k2);  // same UK value (ci)
  BOOST_CHECK_EQUAL(k1.size(), 2u);
  auto a1 = c.route(k1);
  BOOST_REQUIRE(a1);
  c.hold(k1, *a1);
  auto a2 = c.route(k2);
  BOOST_REQUIRE(a2);
  BOOST_CHECK_EQUAL(*a2, *a1);
  c.hold(k2, *a2);
  // A change touching keys held by two appliers conflicts.
  append_causality_keys(*s, "t", {int_cell(3), str_cell("zzz")}, k3);
  c.hold(k3, (*a1 + 1) % 8);
  std::vector<std::string> both = k1;
  both.insert(both.end(), k3.begin(), k3.end());
  BOOST_CHECK(!c.route(both));
  c.release(k3);
  BOOST_CHECK(c.route(both));
  c.release(k1);
  c.release(k2);
  BOOST_CHECK_EQUAL(c.held(), 0u);
}

BOOST_AUTO_TEST_CASE(rows_without_a_usable_key_serialize_on_the_table) {
  table_schema s;
  s.columns = {{"a", false, "", false, 0, ""}};
  std::vector<std::string> keys;
  append_causality_keys(s, "`d`.`t`", {int_cell(1)}, keys);
  BOOST_REQUIRE_EQUAL(keys.size(), 1u);
  BOOST_CHECK_EQUAL(keys[0], "`d`.`t`");
}

BOOST_AUTO_TEST_CASE(a_group_key_is_no_row_key) {
  auto s = keyed_table();
  std::vector<std::string> keys;
  append_causality_keys(*s, "`d`.`t`", {int_cell(1), int_cell(2)}, keys);
  keys.push_back("`d`.`t`");  // a keyless table's own key
  for (auto& k : keys) BOOST_CHECK(serial_group_key("`d`.`t`") != k);
  BOOST_CHECK(serial_group_key("a") != serial_group_key("A"));
}

BOOST_AUTO_TEST_SUITE_END()
