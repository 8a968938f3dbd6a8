// The checkpoint kept downstream: what one run's rows prove, and which run counts.
#include <boost/test/unit_test.hpp>

#include "sync/downstream_checkpoint.hpp"
#include "sync/downstream_fence.hpp"

using namespace dm;

namespace {

checkpoint_row row(int32_t writer, uint64_t run, uint32_t next, uint32_t safe,
                   std::string updated) {
  checkpoint_row r;
  r.writer = writer;
  r.run = run;
  r.mark.next = {0, 3, next};
  r.mark.position = {"binlog.000003", next};
  r.mark.gtid_set = "0-1-" + std::to_string(next);
  r.mark.safe_until = {0, 3, safe};
  r.updated = std::move(updated);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(downstream_checkpoint_test)

BOOST_AUTO_TEST_CASE(no_rows_prove_nothing) {
  BOOST_CHECK(!merge_checkpoint_rows({}));
}

BOOST_AUTO_TEST_CASE(the_largest_checkpoint_and_the_largest_mark_of_a_run) {
  // Applier 0 committed up to 900 with the checkpoint at 400 known; applier 1 later, with the
  // checkpoint at 700 but its own changes only up to 800; the syncer wrote 500 when idle.
  auto cp = merge_checkpoint_rows({row(0, 7, 400, 900, "2026-11-29 10:00:00.000001"),
                                   row(1, 7, 700, 800, "2026-11-29 10:00:00.000002"),
                                   row(syncer_writer, 7, 500, 500, "2026-11-29 10:00:00.000000")});
  BOOST_REQUIRE(cp);
  BOOST_CHECK_EQUAL(cp->run, 7u);
  BOOST_CHECK(cp->next == (relay_key{0, 3, 700}));
  BOOST_CHECK_EQUAL(cp->position.pos, 700u);
  BOOST_CHECK_EQUAL(cp->gtid_set, "0-1-700");
  BOOST_CHECK(cp->safe_until == (relay_key{0, 3, 900}));
  BOOST_CHECK(!cp->clean_stop);
}

BOOST_AUTO_TEST_CASE(a_mark_not_past_the_checkpoint_needs_no_replay) {
  auto cp = merge_checkpoint_rows({row(0, 7, 400, 300, "2026-11-29 10:00:00.000001"),
                                   row(syncer_writer, 7, 600, 600, "2026-11-29 10:00:01.0")});
  BOOST_REQUIRE(cp);
  BOOST_CHECK(cp->clean_stop);
  BOOST_CHECK(cp->safe_until == cp->next);
  BOOST_CHECK(cp->next == (relay_key{0, 3, 600}));
}

BOOST_AUTO_TEST_CASE(only_the_most_recently_written_run_counts) {
  // Rows an earlier task of the same name left behind are not this run's, however far they go.
  auto cp = merge_checkpoint_rows({row(0, 1, 9000, 9500, "2026-11-28 09:00:00.000000"),
                                   row(1, 2, 100, 200, "2026-11-29 10:00:00.000000")});
  BOOST_REQUIRE(cp);
  BOOST_CHECK_EQUAL(cp->run, 2u);
  BOOST_CHECK(cp->next == (relay_key{0, 3, 100}));
  BOOST_CHECK(cp->safe_until == (relay_key{0, 3, 200}));
}

BOOST_AUTO_TEST_CASE(only_the_latest_owners_rows_count) {
  // The old owner's relay numbered its segments differently: its keys are not comparable.
  auto old_owner = row(0, 7, 9000, 9500, "2026-11-29 10:00:00.000001");
  old_owner.epoch = 3;
  old_owner.mark.next.segment = 1;
  auto new_owner = row(syncer_writer, 7, 500, 800, "2026-11-29 10:00:00.000000");
  new_owner.epoch = 9;
  auto cp = merge_checkpoint_rows({old_owner, new_owner});
  BOOST_REQUIRE(cp);
  BOOST_CHECK(cp->next == (relay_key{0, 3, 500}));
  BOOST_CHECK(cp->safe_until == (relay_key{0, 3, 800}));
}

BOOST_AUTO_TEST_CASE(the_row_upsert_names_writer_run_and_both_keys) {
  checkpoint_mark mark{{1, 2, 345}, {"b'in.000002", 345}, "0-1-9", {1, 2, 999}};
  auto sql = checkpoint_row_sql({"dm_meta", "t", "s"}, 12, 3, 77, mark);
  BOOST_CHECK(sql.rfind("INSERT INTO `dm_meta`.`sync_checkpoints` ", 0) == 0);
  BOOST_CHECK(sql.find("VALUES ('t','s',12,3,77,1,2,345,'b\\'in.000002',345,'0-1-9',1,2,999)") !=
              std::string::npos);
  BOOST_CHECK(sql.find("ON DUPLICATE KEY UPDATE") != std::string::npos);
}

// Each writer locks its own row of the fence; raising writes all of them.
BOOST_AUTO_TEST_CASE(writers_have_rows_of_their_own_and_a_raise_writes_every_row) {
  BOOST_CHECK_EQUAL(fence_slot(0), 0);
  BOOST_CHECK_EQUAL(fence_slot(fence_slots - 1), fence_slots - 1);
  BOOST_CHECK_EQUAL(fence_slot(fence_slots), 0);
  BOOST_CHECK_EQUAL(fence_slot(syncer_writer), fence_slots - 1);
  BOOST_CHECK_EQUAL(fence_slot(loader_writer(0)), fence_slots - 2);
  BOOST_CHECK_EQUAL(fence_slot(loader_writer(200)), fence_slot(-202));
  meta_scope scope{"dm_meta", "t", "s"};
  auto raise = raise_fence_sql(scope, 7);
  BOOST_CHECK(raise.find("('t','s',0,7),('t','s',1,7)") != std::string::npos);
  BOOST_CHECK(raise.find("('t','s'," + std::to_string(fence_slots - 1) + ",7) ON DUPLICATE") !=
              std::string::npos);
  BOOST_CHECK(raise.find("('t','s'," + std::to_string(fence_slots) + ",") == std::string::npos);
  BOOST_CHECK(read_fence_sql(scope, loader_writer(0), true)
                  .find("AND slot = " + std::to_string(fence_slots - 2) + " FOR UPDATE") !=
              std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
