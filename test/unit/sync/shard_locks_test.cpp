// Shard DDL locks (sync/shard_locks.hpp) and the replay plan of held tables
// (sync/shard_replay.hpp): who waits, who runs the change, what a replay passes over, what the
// operator's unlock excuses, and that all of it survives being stored and read back.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "sync/shard_locks.hpp"
#include "sync/shard_replay.hpp"

using namespace dm;

namespace {

using kind = shard_verdict::kind;

const std::string target = "`shop`.`orders`";
const std::vector<std::string> sources = {"east", "west"};

shard_member shard(const std::string& source, const std::string& table) {
  return {source, "shop_1", table};
}

shard_arrival arrival(const shard_member& m, const std::string& ddl, const std::string& at) {
  return {"t", sources, target, ddl, "ALTER TABLE " + target + " " + ddl, m, at};
}

// Both sources listed two shard tables each.
shard_lock_book book_with_shards() {
  shard_lock_book book;
  for (auto& source : sources)
    book.set_shards("t", source, {{target, {shard(source, "a"), shard(source, "b")}}});
  return book;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shard_locks)

BOOST_AUTO_TEST_CASE(the_last_shard_runs_the_change_and_replays_pass_it_over) {
  auto book = book_with_shards();
  const std::string ddl = "ADD C INT";
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), ddl, "f:1"), 100).what == kind::wait);
  BOOST_CHECK(book.arrive(arrival(shard("east", "b"), ddl, "f:2"), 101).what == kind::wait);
  // Arriving again (a replay) changes nothing.
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), ddl, "f:1"), 102).what == kind::wait);
  BOOST_CHECK(book.arrive(arrival(shard("west", "a"), ddl, "g:1"), 103).what == kind::wait);

  auto shown = book.show("t", 110, 5);
  BOOST_REQUIRE_EQUAL(shown.size(), 1u);
  BOOST_CHECK_EQUAL(shown[0].id, "t-`shop`.`orders`");
  BOOST_CHECK_EQUAL(shown[0].synced.size(), 3u);
  BOOST_REQUIRE_EQUAL(shown[0].unsynced.size(), 1u);
  BOOST_CHECK_EQUAL(shown[0].unsynced[0], "west `shop_1`.`b`");
  BOOST_CHECK_EQUAL(shown[0].since, 100);
  BOOST_CHECK(shown[0].overdue);
  BOOST_CHECK(!book.show("t", 104, 5)[0].overdue);
  BOOST_CHECK_EQUAL(shown[0].ddls[0], "ALTER TABLE `shop`.`orders` ADD C INT");

  auto last = book.arrive(arrival(shard("west", "b"), ddl, "g:2"), 120);
  BOOST_CHECK(last.what == kind::execute);
  // Before the change ran, the others still wait; the owner arriving again runs it.
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), ddl, "f:1"), 121).what == kind::wait);
  BOOST_CHECK(book.arrive(arrival(shard("west", "b"), ddl, "g:2"), 121).what == kind::execute);

  auto notified = book.executed("t", target);
  BOOST_REQUIRE(notified);
  BOOST_CHECK(*notified == (std::set<std::string>{"east", "west"}));
  BOOST_CHECK(book.show("t", 130, 5).empty());
  BOOST_CHECK(!book.executed("t", target));
  // Replays of the resolved change pass it over; the same change again later is a new lock.
  BOOST_CHECK(book.arrive(arrival(shard("east", "b"), ddl, "f:2"), 131).what == kind::skip);
  BOOST_CHECK(book.arrive(arrival(shard("east", "b"), ddl, "f:9"), 132).what == kind::wait);
}

BOOST_AUTO_TEST_CASE(a_different_change_conflicts_and_unknown_sources_are_awaited) {
  shard_lock_book book;
  book.set_shards("t", "east", {{target, {shard("east", "a"), shard("east", "b")}}});
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD C INT", "f:1"), 1).what == kind::wait);
  auto other = book.arrive(arrival(shard("east", "b"), "ADD D INT", "f:2"), 2);
  BOOST_CHECK(other.what == kind::conflict);
  BOOST_CHECK_MESSAGE(other.reason.find("east `shop_1`.`b` changed merged table") !=
                          std::string::npos &&
                          other.reason.find("binlog skip|replace -s east") != std::string::npos,
                      other.reason);
  BOOST_CHECK(book.arrive(arrival(shard("east", "b"), "ADD C INT", "f:2"), 3).what == kind::wait);
  // west has not listed its shards: it is awaited as a whole; once listed with none, the lock
  // is ready and east's syncer must replay to run it.
  auto shown = book.show("t", 4, 0);
  BOOST_REQUIRE_EQUAL(shown[0].unsynced.size(), 1u);
  BOOST_CHECK(shown[0].unsynced[0].rfind("source west", 0) == 0);
  auto ready = book.set_shards("t", "west", {});
  BOOST_CHECK(ready == (std::map<std::string, std::set<std::string>>{{target, {"east"}}}));
  BOOST_CHECK(book.arrive(arrival(shard("east", "b"), "ADD C INT", "f:2"), 5).what ==
              kind::execute);
}

BOOST_AUTO_TEST_CASE(unlock_excuses_the_awaited_shards_and_force_remove_runs_nothing) {
  auto book = book_with_shards();
  for (auto& t : {"a", "b"})
    BOOST_CHECK(book.arrive(arrival(shard("east", t), "ADD C INT", std::string{"f:"} + t), 1)
                    .what == kind::wait);
  BOOST_CHECK(!book.unlock("t-nope", false, 2));
  auto unlocked = book.unlock("t-`shop`.`orders`", false, 2);
  BOOST_REQUIRE(unlocked);
  BOOST_CHECK_EQUAL(unlocked->first.unsynced.size(), 2u);
  BOOST_CHECK(unlocked->second == std::set<std::string>{"east"});
  // The first member to arrive again runs it.
  BOOST_CHECK(book.arrive(arrival(shard("east", "b"), "ADD C INT", "f:b"), 3).what ==
              kind::execute);
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD C INT", "f:a"), 3).what == kind::wait);
  BOOST_REQUIRE(book.executed("t", target));
  // An excused shard making the change later passes it over; another change is a new lock.
  BOOST_CHECK(book.arrive(arrival(shard("west", "a"), "ADD C INT", "g:1"), 4).what == kind::skip);
  BOOST_CHECK(book.arrive(arrival(shard("west", "b"), "ADD E INT", "g:2"), 5).what == kind::wait);
  auto removed = book.unlock("t-`shop`.`orders`", true, 6);
  BOOST_REQUIRE(removed);
  BOOST_CHECK(book.show("", 6, 0).empty());
  BOOST_CHECK(book.arrive(arrival(shard("west", "b"), "ADD E INT", "g:2"), 7).what == kind::skip);
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD E INT", "f:7"), 7).what == kind::skip);
}

BOOST_AUTO_TEST_CASE(a_dropped_shard_is_no_longer_awaited) {
  auto book = book_with_shards();
  for (auto& [source, t] : {std::pair{"east", "a"}, {"east", "b"}, {"west", "a"}})
    BOOST_CHECK(book.arrive(arrival(shard(source, t), "ADD C INT", "p"), 1).what == kind::wait);
  // A shard created meanwhile is not awaited by the open lock.
  BOOST_CHECK(book.shard_changed("t", target, shard("west", "c"), true).empty());
  BOOST_CHECK_EQUAL(book.show("t", 2, 0)[0].unsynced.size(), 1u);
  auto ready = book.shard_changed("t", target, shard("west", "b"), false);
  BOOST_CHECK(ready == (std::map<std::string, std::set<std::string>>{{target, {"east", "west"}}}));
  BOOST_CHECK(book.arrive(arrival(shard("west", "a"), "ADD C INT", "p"), 3).what == kind::execute);
  BOOST_REQUIRE(book.executed("t", target));
  // The next lock awaits the created shard, not the dropped one.
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD D INT", "q"), 4).what == kind::wait);
  auto awaited = book.show("t", 4, 0)[0].unsynced;
  BOOST_CHECK(std::find(awaited.begin(), awaited.end(), "west `shop_1`.`c`") != awaited.end());
  BOOST_CHECK(std::find(awaited.begin(), awaited.end(), "west `shop_1`.`b`") == awaited.end());
}

BOOST_AUTO_TEST_CASE(a_source_removed_from_the_task_is_no_longer_awaited) {
  auto book = book_with_shards();
  for (auto& t : {"a", "b"})
    BOOST_CHECK(book.arrive(arrival(shard("east", t), "ADD C INT", "p"), 1).what == kind::wait);
  BOOST_CHECK(book.arrive(arrival(shard("west", "a"), "ADD C INT", "p"), 1).what == kind::wait);
  // stop-task -s west: its shard that arrived goes too; east's syncer must replay to run it.
  auto ready = book.forget_source("t", "west");
  BOOST_CHECK(ready == (std::map<std::string, std::set<std::string>>{{target, {"east"}}}));
  BOOST_CHECK(book.show("t", 2, 0)[0].unsynced.empty());
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD C INT", "p"), 3).what ==
              kind::execute);
  BOOST_REQUIRE(book.executed("t", target));
  // Syncers still naming the removed source do not wait for it.
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD D INT", "q"), 4).what == kind::wait);
  BOOST_CHECK_EQUAL(book.show("t", 4, 0)[0].unsynced.size(), 1u);  // east `shop_1`.`b`
}

BOOST_AUTO_TEST_CASE(locks_survive_being_stored_and_read_back) {
  auto book = book_with_shards();
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD C INT", "f:1"), 1).what == kind::wait);
  BOOST_CHECK(book.arrive(arrival(shard("east", "b"), "ADD C INT", "f:2"), 1).what == kind::wait);
  shard_lock_book restored;
  BOOST_REQUIRE(!restored.load("t", book.save("t")));
  BOOST_CHECK_EQUAL(restored.show("t", 2, 0)[0].unsynced.size(), 2u);
  for (auto& source : sources)
    restored.set_shards("t", source, {{target, {shard(source, "a"), shard(source, "b")}}});
  BOOST_CHECK(restored.arrive(arrival(shard("east", "a"), "ADD C INT", "f:1"), 3).what ==
              kind::wait);
  BOOST_CHECK(restored.arrive(arrival(shard("west", "a"), "ADD C INT", "g:1"), 3).what ==
              kind::wait);
  BOOST_CHECK(restored.arrive(arrival(shard("west", "b"), "ADD C INT", "g:2"), 3).what ==
              kind::execute);
  BOOST_CHECK(restored.load("t", "{not json").code() != 0);
  restored.forget("t");
  BOOST_CHECK(restored.tasks().empty());
}

// A cluster's record keeps every source's shard tables: a worker that reads it knows what the
// lock awaits without those sources' syncers on it.
BOOST_AUTO_TEST_CASE(a_book_saved_with_its_shards_needs_no_syncer_to_list_them_again) {
  auto book = book_with_shards();
  BOOST_CHECK(book.arrive(arrival(shard("east", "a"), "ADD C INT", "f:1"), 1).what == kind::wait);
  shard_lock_book elsewhere;
  BOOST_REQUIRE(!elsewhere.load("t", book.save("t", true)));
  auto shown = elsewhere.show("t", 2, 0);
  BOOST_REQUIRE_EQUAL(shown.size(), 1u);
  BOOST_CHECK_EQUAL(shown[0].unsynced.size(), 3u);
  BOOST_CHECK(elsewhere.arrive(arrival(shard("east", "b"), "ADD C INT", "f:2"), 3).what ==
              kind::wait);
  BOOST_CHECK(elsewhere.arrive(arrival(shard("west", "a"), "ADD C INT", "g:1"), 3).what ==
              kind::wait);
  BOOST_CHECK(elsewhere.arrive(arrival(shard("west", "b"), "ADD C INT", "g:2"), 3).what ==
              kind::execute);
  // Without the shards, the sources are awaited as a whole until their syncers list them.
  shard_lock_book alone;
  BOOST_REQUIRE(!alone.load("t", book.save("t")));
  BOOST_CHECK(alone.arrive(arrival(shard("west", "b"), "ADD C INT", "g:2"), 3).what ==
              kind::wait);
}

BOOST_AUTO_TEST_CASE(changes_compare_without_case_quotes_or_spacing) {
  sql::lexer_mode mode;
  BOOST_CHECK_EQUAL(comparable_ddl({"ALTER TABLE `shop`.`orders` ADD COLUMN `note` varchar(20)"},
                                   mode),
                    comparable_ddl({"alter table `shop`.`orders`  add column Note VARCHAR (20)"},
                                   mode));
  BOOST_CHECK_NE(comparable_ddl({"ALTER TABLE t ADD COLUMN c INT DEFAULT 'a'"}, mode),
                 comparable_ddl({"ALTER TABLE t ADD COLUMN c INT DEFAULT 'A'"}, mode));
}

BOOST_AUTO_TEST_CASE(a_replay_plan_passes_over_what_was_applied) {
  upstream_table t1{"shop_1", "a"}, t2{"shop_1", "b"}, other{"shop_1", "items"};
  relay_key k10{0, 1, 10}, k20{0, 1, 20}, k30{0, 1, 30}, k40{0, 1, 40}, k50{0, 1, 50};
  BOOST_CHECK(!next_replay_plan({}, k30, std::nullopt));
  auto plan = next_replay_plan({{t1, k10}, {t2, k20}}, k40, std::nullopt);
  BOOST_REQUIRE(plan);
  BOOST_CHECK(plan->until == k40);
  BOOST_CHECK(!plan->processes(t1, {0, 1, 5}));
  BOOST_CHECK(plan->processes(t1, k10));
  BOOST_CHECK(!plan->processes(t2, k10));
  BOOST_CHECK(plan->processes(t2, k30));
  BOOST_CHECK(!plan->processes(other, k30));
  BOOST_CHECK(plan->processes(other, k40));
  BOOST_CHECK(!plan->processes_untabled(k30));
  // A run that started with it got t1 applied to 30 and holds t2 again at 20: t1 goes on from
  // 30, the others stay applied until 40.
  auto next = next_replay_plan({{t2, k20}}, k30, plan);
  BOOST_REQUIRE(next);
  BOOST_CHECK(next->until == k40);
  BOOST_CHECK(next->from.at(t1) == k30);
  BOOST_CHECK(next->from.at(t2) == k20);
  // Past the old plan with nothing held: none; past it with a hold: the hold alone.
  BOOST_CHECK(!next_replay_plan({}, k50, plan));
  auto held = next_replay_plan({{t2, k50}}, k50, plan);
  BOOST_REQUIRE(held);
  BOOST_CHECK_EQUAL(held->from.size(), 1u);
  auto back = replay_plan_from_json(to_json(*next));
  BOOST_REQUIRE(back);
  BOOST_CHECK(back->until == next->until && back->from == next->from);
  BOOST_CHECK(!replay_plan_from_json("[]"));
}

BOOST_AUTO_TEST_SUITE_END()
