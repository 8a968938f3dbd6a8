// The dispatcher: who takes a change, when dispatch must wait (credits, conflicts, memory), what
// may be checkpointed, which changes an unclean stop's marks skip, and when the high-water mark
// must move.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "sync/causality.hpp"
#include "sync/dispatcher.hpp"
#include "test/unit/sync/sample_rows.hpp"

using namespace dm;
using dm::test::int_cell;
using binlog::cell;
using binlog::cell_kind;

namespace {

std::shared_ptr<table_schema> keyed() {
  auto s = std::make_shared<table_schema>();
  s->db = "d";
  s->table = "t";
  s->columns = {{"id", false, "", false, 0, ""}, {"v", false, "", false, 0, ""}};
  s->primary_key = {0};
  return s;
}

// An insert of row `id` (event offset `event`, row `row`), with its causality keys.
std::pair<row_job, std::vector<std::string>> insert(uint64_t id, uint32_t event = 100,
                                                    uint32_t row = 0,
                                                    const std::string& group = "") {
  row_job j;
  j.schema = keyed();
  j.target = "`d`.`t`";
  j.after = {int_cell(id), int_cell(id)};
  j.origin = {{0, 1, event}, row};
  std::vector<std::string> keys;
  if (group.empty()) {
    append_causality_keys(*j.schema, j.target, j.after, keys);
  } else {
    j.serial_group = std::make_shared<const std::string>(group);
    keys.push_back(serial_group_key(group));
  }
  return {std::move(j), keys};
}

dispatcher::verdict offer(dispatcher& d, std::pair<row_job, std::vector<std::string>> change) {
  return d.offer(change.first, change.second);
}

sync_position boundary(uint32_t offset) {
  sync_position p;
  p.next = {0, 1, offset};
  p.position = {"binlog.000001", offset};
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_test)

BOOST_AUTO_TEST_CASE(full_batches_leave_while_credit_lasts_then_dispatch_waits) {
  dispatcher d{{1, 2, 2, 1 << 30}};  // one applier, two credits, two rows per batch
  using v = dispatcher::verdict;
  std::vector<v> verdicts;
  size_t sent = 0;
  for (uint64_t id = 1; id <= 7; ++id) {
    auto change = insert(id);
    auto r = d.offer(change.first, change.second);
    verdicts.push_back(r);
    if (r == v::taken) sent += d.take_sendable(false).size();
  }
  // Rows 1-2 and 3-4 leave (credits 2 -> 0); 5-6 fill the open batch; 7 must wait.
  BOOST_CHECK_EQUAL(sent, 2u);
  BOOST_CHECK(verdicts.back() == v::wait_credit);
  BOOST_CHECK_EQUAL(d.credits(0), 0u);
  // A waiting change was left as it was: it can be offered again.
  auto again = insert(7);
  BOOST_CHECK(d.offer(again.first, again.second) == v::wait_credit);
  BOOST_CHECK(!again.first.after.empty());
  // An acknowledgement gives the credit back; the open batch can go.
  BOOST_CHECK_EQUAL(d.acknowledge(0, 1), 2u);
  auto open = d.take_open(0);
  BOOST_REQUIRE(open);
  BOOST_CHECK_EQUAL(open->jobs.size(), 2u);
  BOOST_CHECK(d.offer(again.first, again.second) == v::taken);
}

BOOST_AUTO_TEST_CASE(changes_to_one_key_stay_on_one_applier_and_conflicts_wait) {
  dispatcher d{{4, 2, 100, 1 << 30}};
  auto a = insert(1);
  BOOST_CHECK(d.offer(a.first, a.second) == dispatcher::verdict::taken);
  auto first = d.take_sendable(true);
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  auto holder = first.front().first;
  // The same key again goes to the same applier, however many there are.
  auto b = insert(1, 200);
  BOOST_CHECK(d.offer(b.first, b.second) == dispatcher::verdict::taken);
  auto second = d.take_sendable(true);
  BOOST_REQUIRE_EQUAL(second.size(), 1u);
  BOOST_CHECK_EQUAL(second.front().first, holder);
  // A change whose keys two appliers hold waits until one releases them.
  std::vector<uint64_t> others;
  for (uint64_t id = 2; id < 50 && others.empty(); ++id) {
    auto c = insert(id, 300);
    d.offer(c.first, c.second);
    auto sent = d.take_sendable(true);
    if (!sent.empty() && sent.front().first != holder) others.push_back(id);
  }
  BOOST_REQUIRE(!others.empty());
  auto both = insert(1, 400);
  auto other_keys = insert(others.front(), 400).second;
  both.second.insert(both.second.end(), other_keys.begin(), other_keys.end());
  BOOST_CHECK(d.offer(both.first, both.second) == dispatcher::verdict::wait_conflict);
}

BOOST_AUTO_TEST_CASE(the_memory_budget_stops_dispatch_until_bytes_are_committed) {
  auto one = insert(1);
  auto budget = estimated_bytes(one.first);  // room for a bit more than one change
  dispatcher d{{2, 2, 100, budget}};
  BOOST_CHECK(offer(d, insert(1)) == dispatcher::verdict::taken);
  BOOST_CHECK(offer(d, insert(2)) == dispatcher::verdict::taken);  // not yet over
  BOOST_CHECK(offer(d, insert(3)) == dispatcher::verdict::wait_memory);
  auto sent = d.take_sendable(true);
  for (auto& [a, batch] : sent) d.acknowledge(a, batch.seq);
  BOOST_CHECK_EQUAL(d.bytes_in_flight(), 0u);
  BOOST_CHECK(offer(d, insert(3)) == dispatcher::verdict::taken);
}

BOOST_AUTO_TEST_CASE(a_boundary_is_safe_once_every_earlier_batch_committed) {
  dispatcher d{{2, 2, 1, 1 << 30}};
  offer(d, insert(1));
  offer(d, insert(2));
  d.boundary(boundary(500));
  auto sent = d.take_sendable(false);
  BOOST_REQUIRE_EQUAL(sent.size(), 2u);
  BOOST_CHECK(!d.take_safe());
  d.acknowledge(sent[1].first, sent[1].second.seq);
  BOOST_CHECK(!d.take_safe());  // the other batch is still out
  BOOST_CHECK(!d.idle());
  d.acknowledge(sent[0].first, sent[0].second.seq);
  auto safe = d.take_safe();
  BOOST_REQUIRE(safe);
  BOOST_CHECK_EQUAL(safe->next.offset, 500u);
  BOOST_CHECK(d.idle());
}

BOOST_AUTO_TEST_CASE(a_serial_group_goes_to_one_applier_and_its_marks_skip_what_was_applied) {
  dispatcher d{{8, 8, 1, 1 << 30}};
  // An unclean stop applied the group's changes up to event 200 row 1.
  d.set_apply_marks({{"`d`.`keyless`", change_origin{{0, 1, 200}, 1}}});
  struct row {
    uint32_t event, row;
    dispatcher::verdict expected;
  };
  const std::vector<row> table = {
      {100, 0, dispatcher::verdict::skipped}, {200, 0, dispatcher::verdict::skipped},
      {200, 1, dispatcher::verdict::skipped}, {200, 2, dispatcher::verdict::taken},
      {300, 0, dispatcher::verdict::taken},   {301, 5, dispatcher::verdict::taken},
  };
  std::set<uint32_t> appliers;
  for (auto& r : table) {
    auto change = insert(r.event * 10 + r.row, r.event, r.row, "`d`.`keyless`");
    BOOST_CHECK_MESSAGE(d.offer(change.first, change.second) == r.expected,
                        "event " << r.event << " row " << r.row);
    for (auto& [a, batch] : d.take_sendable(true)) appliers.insert(a);
  }
  BOOST_CHECK_EQUAL(appliers.size(), 1u);
  // Another group's changes are not skipped by this group's mark.
  auto other = insert(1, 100, 0, "`d`.`other`");
  BOOST_CHECK(d.offer(other.first, other.second) == dispatcher::verdict::taken);
}

BOOST_AUTO_TEST_CASE(the_high_water_mark_moves_past_the_relay_head_only_when_reached) {
  struct row {
    relay_key cursor, mark, head;
    std::optional<relay_key> raised;
  };
  const uint32_t step = 1000;
  const std::vector<row> table = {
      {{0, 1, 100}, {0, 1, 500}, {0, 1, 900}, std::nullopt},           // below the mark
      {{0, 1, 500}, {0, 1, 500}, {0, 1, 900}, relay_key{0, 1, 1900}},   // reached it
      {{0, 2, 4}, {0, 1, 500}, {0, 2, 100}, relay_key{0, 2, 1100}},     // a later file
      {{0, 1, 10}, {0, 1, 5}, {0, 1, UINT32_MAX - 10}, relay_key{0, 1, UINT32_MAX}},  // clamps
  };
  for (auto& r : table) {
    auto raised = raise_high_water(r.cursor, r.mark, r.head, step);
    BOOST_CHECK(raised.has_value() == r.raised.has_value());
    if (raised && r.raised) BOOST_CHECK(*raised == *r.raised);
    // Whatever is sent next lies below the mark that is persisted before it leaves.
    if (raised) BOOST_CHECK(r.cursor < *raised);
  }
}

BOOST_AUTO_TEST_SUITE_END()
