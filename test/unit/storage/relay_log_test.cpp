#include <boost/test/unit_test.hpp>

#include "test/unit/test_util.hpp"

#include "common/error.hpp"
#include "storage/checkpoint_store.hpp"
#include "storage/database.hpp"
#include "storage/keys.hpp"
#include "storage/meta_store.hpp"
#include "storage/relay_log.hpp"
#include "storage/relay_writer.hpp"
#include "test/support/process.hpp"

using namespace dm;
using namespace dm::storage;

namespace {

struct temp_db {
  std::string dir = dm::test::make_temp_dir("dm-unit-db");
  std::shared_ptr<database> db;
  temp_db() {
    auto opened = database::open(dir);
    DM_REQUIRE_OK(opened);
    db = *opened;
  }
  ~temp_db() {
    db.reset();
    dm::test::remove_tree(dir);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_test)

BOOST_AUTO_TEST_CASE(keys_sort_numerically_and_stay_in_their_owner_range) {
  auto a = relay_event_key("s1", {0, 9, 4000});
  auto b = relay_event_key("s1", {0, 10, 4});
  auto c = relay_event_key("s1", {1, 0, 4});
  BOOST_CHECK(a < b);
  BOOST_CHECK(b < c);
  BOOST_CHECK(relay_source_begin("s1") <= a);
  BOOST_CHECK(c < relay_source_end("s1"));
  // "s1" and "s10" never mix.
  BOOST_CHECK(relay_source_end("s1") <= relay_event_key("s10", {0, 0, 0}) ||
              relay_event_key("s10", {0, 0, 0}) < relay_source_begin("s1"));
  auto parsed = parse_relay_event_key("s1", b);
  BOOST_REQUIRE(parsed);
  BOOST_CHECK(*parsed == (relay_key{0, 10, 4}));
  BOOST_CHECK(!parse_relay_event_key("s2", b));
  BOOST_CHECK(!parse_relay_event_key("s1", "s1"));
}

BOOST_AUTO_TEST_CASE(relay_log_appends_reads_truncates_and_erases) {
  temp_db t;
  relay_log log{t.db, "src"};
  BOOST_CHECK(!*log.load_state());
  relay_state st;
  st.upstream_id = "7";
  st.next = {"bin.000001", 300};
  st.gtid_set = "0-7-3";
  std::vector<std::string> durable;
  {
    relay_writer writer{t.db, "src", std::chrono::milliseconds{0},
                        [&](const relay_state& s, size_t, size_t events, double) {
                          durable.push_back(s.next.file + ":" + std::to_string(s.next.pos) + "/" +
                                            std::to_string(events));
                        }};
    writer.stage({0, 1, 4}, "fde");
    writer.stage({0, 1, 100}, "gtid");
    writer.stage({0, 1, 200}, "query");
    writer.mark_boundary(st);
    // The beginning of an unfinished transaction: stored, but past the state's head.
    writer.stage({0, 1, 300}, "partial");
    BOOST_REQUIRE(!writer.drain());
  }
  BOOST_REQUIRE_GE(durable.size(), 1u);
  BOOST_CHECK_EQUAL(durable.front().substr(0, durable.front().find('/')), "bin.000001:300");
  auto loaded = log.load_state();
  BOOST_REQUIRE(loaded && *loaded);
  BOOST_CHECK_EQUAL((*loaded)->gtid_set, "0-7-3");
  BOOST_CHECK((*loaded)->head() == (relay_key{0, 1, 300}));
  std::vector<stored_event> out;
  auto n = log.read({0, 1, 100}, (*loaded)->head(), 10, 1 << 20, out);
  BOOST_REQUIRE(n);
  BOOST_CHECK_EQUAL(*n, 2u);
  BOOST_CHECK_EQUAL(out[0].bytes, "gtid");
  BOOST_CHECK_EQUAL(out[1].bytes, "query");
  BOOST_REQUIRE(!log.truncate_from((*loaded)->head()));
  out.clear();
  BOOST_CHECK_EQUAL(*log.read({0, 1, 0}, {0, 2, 0}, 10, 1 << 20, out), 3u);
  BOOST_CHECK_EQUAL(*log.file_name(0, 1).value(), "bin.000001");
  BOOST_CHECK(log.first_key().value() == (relay_key{0, 1, 4}));
  BOOST_REQUIRE(!log.erase_all());
  BOOST_CHECK(!*log.load_state());
  BOOST_CHECK(!*log.first_key());
}

BOOST_AUTO_TEST_CASE(checkpoints_and_meta_round_trip) {
  temp_db t;
  checkpoint_store cps{t.db};
  sync_checkpoint cp;
  cp.next = {0, 3, 1234};
  cp.position = {"bin.000003", 1234};
  cp.gtid_set = "0-1-9";
  cp.safe_until = {0, 3, 5000};
  BOOST_REQUIRE(!cps.save_sync("task", "src", cp, true));
  auto loaded = cps.load_sync("task", "src");
  BOOST_REQUIRE(loaded && *loaded);
  BOOST_CHECK((*loaded)->next == cp.next);
  BOOST_CHECK((*loaded)->safe_until == cp.safe_until);
  BOOST_CHECK_EQUAL((*loaded)->position.file, "bin.000003");
  BOOST_CHECK(!(*loaded)->clean_stop);
  // One part of a task goes alone: not the task's other sources, not a source named alike.
  BOOST_REQUIRE(!cps.save_sync("task", "srcb", cp, true));
  BOOST_REQUIRE(!cps.erase_part("task", "src"));
  BOOST_CHECK(!*cps.load_sync("task", "src"));
  BOOST_CHECK(*cps.load_sync("task", "srcb"));
  BOOST_REQUIRE(!cps.save_sync("task", "src", cp, true));
  BOOST_REQUIRE(!cps.erase_task("task"));
  BOOST_CHECK(!*cps.load_sync("task", "src"));
  BOOST_CHECK(!*cps.load_sync("task", "srcb"));

  meta_store meta{t.db};
  BOOST_REQUIRE(!meta.put("source", "b", "2"));
  BOOST_REQUIRE(!meta.put("source", "a", "1"));
  BOOST_REQUIRE(!meta.put("task", "a", "x"));
  auto list = meta.list("source");
  BOOST_REQUIRE(list);
  BOOST_REQUIRE_EQUAL(list->size(), 2u);
  BOOST_CHECK_EQUAL((*list)[0].first, "a");
  BOOST_CHECK_EQUAL((*list)[1].second, "2");
  BOOST_REQUIRE(!meta.erase("source", "a"));
  BOOST_CHECK(!*meta.get("source", "a"));
  // An owner's records by id prefix; other kinds and owners stay.
  BOOST_REQUIRE(!meta.put("decision", std::string{"t\0a", 3}, "1"));
  BOOST_REQUIRE(!meta.put("decision", std::string{"t\0b", 3}, "2"));
  BOOST_REQUIRE(!meta.put("decision", std::string{"tt\0a", 4}, "3"));
  BOOST_REQUIRE(!meta.erase_prefix("decision", std::string{"t\0", 2}));
  list = meta.list("decision");
  BOOST_REQUIRE(list);
  BOOST_REQUIRE_EQUAL(list->size(), 1u);
  BOOST_CHECK_EQUAL((*list)[0].second, "3");
  BOOST_CHECK(*meta.get("source", "b"));
}

BOOST_AUTO_TEST_CASE(a_locked_data_dir_is_a_clear_error) {
  temp_db t;
  auto second = database::open(t.dir);
  BOOST_REQUIRE(!second);
  BOOST_CHECK(code_of(second.error()) == ec::storage_failed);
  BOOST_CHECK(describe(second.error()).find(t.dir) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
