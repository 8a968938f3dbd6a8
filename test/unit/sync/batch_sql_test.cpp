// The SQL of a batch: multi-row inserts, net changes per row, safe mode, order kept where
// needed.
#include <boost/test/unit_test.hpp>

#include "sync/batch_sql.hpp"
#include "sync/causality.hpp"
#include "test/unit/sync/sample_rows.hpp"

using namespace dm;
using dm::test::int_cell;
using dm::test::str_cell;
using dm::test::keyed_table;
using binlog::cell;
using binlog::cell_kind;

namespace {

// Appends a change of `schema` to `batch`, targeting `d`.`t`.
void add_job(job_batch& batch, const std::shared_ptr<table_schema>& schema, binlog::rows_kind kind,
             std::vector<cell> before, std::vector<cell> after) {
  row_job j;
  j.schema = schema;
  j.target = "`d`.`t`";
  j.kind = kind;
  j.before = std::move(before);
  j.after = std::move(after);
  batch.jobs.push_back(std::move(j));
}

std::shared_ptr<table_schema> id_table(const std::string& name) {
  auto s = std::make_shared<table_schema>();
  s->db = "d";
  s->table = name;
  s->columns = {{"id", false, "", false, 0, ""}, {"v", false, "", false, 0, ""}};
  s->primary_key = {0};
  return s;
}

// A change to `d`.`name`, in the foreign-key group "g" (with checks `fk_checks`) or in none.
row_job job(const std::shared_ptr<table_schema>& schema, binlog::rows_kind kind, uint64_t id,
            bool fk_table, bool fk_checks = true) {
  row_job j;
  j.schema = schema;
  j.target = "`d`.`" + schema->table + "`";
  j.kind = kind;
  std::vector<cell> image{int_cell(id), int_cell(id * 10)};
  if (kind != binlog::rows_kind::write) j.before = image;
  if (kind != binlog::rows_kind::delete_) j.after = image;
  if (fk_table) {
    j.serial_group = std::make_shared<const std::string>("g");
    j.fk_table = true;
    j.fk_checks = fk_checks;
  }
  j.safe = true;  // the syncer's safe mode; groups must ignore it
  return j;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(batch_sql_test)

BOOST_AUTO_TEST_CASE(batches_merge_consecutive_inserts_and_respect_safe_mode) {
  auto s = keyed_table();
  job_batch batch;
  auto job = [&](binlog::rows_kind kind, std::vector<cell> before, std::vector<cell> after) {
    add_job(batch, s, kind, std::move(before), std::move(after));
  };
  job(binlog::rows_kind::write, {}, {int_cell(1), str_cell("a")});
  job(binlog::rows_kind::write, {}, {int_cell(2), str_cell("b")});
  job(binlog::rows_kind::update, {int_cell(2), str_cell("b")}, {int_cell(2), str_cell("c")});
  job(binlog::rows_kind::delete_, {int_cell(1), str_cell("a")}, {});
  auto rendered = render_batch(batch, false, 1 << 20);
  BOOST_REQUIRE(rendered);
  auto* sql = &rendered->statements;
  BOOST_CHECK(rendered->first_job == (std::vector<size_t>{0, 2, 3}));
  BOOST_REQUIRE_EQUAL(sql->size(), 3u);
  BOOST_CHECK_EQUAL((*sql)[0],
                    "INSERT INTO `d`.`t` (`id`,`code`) VALUES (1,_utf8mb4'a'),(2,_utf8mb4'b')");
  BOOST_CHECK_EQUAL((*sql)[1], "UPDATE `d`.`t` SET `id`=2,`code`=_utf8mb4'c' WHERE `id`=2 LIMIT 1");
  BOOST_CHECK_EQUAL((*sql)[2], "DELETE FROM `d`.`t` WHERE `id`=1 LIMIT 1");
  auto rendered_safe = render_batch(batch, true, 1 << 20);
  BOOST_REQUIRE(rendered_safe);
  auto* safe = &rendered_safe->statements;
  BOOST_CHECK(rendered_safe->first_job == (std::vector<size_t>{0, 2, 2, 3}));
  BOOST_REQUIRE_EQUAL(safe->size(), 4u);
  BOOST_CHECK((*safe)[0].rfind("REPLACE INTO", 0) == 0);
  BOOST_CHECK_EQUAL((*safe)[1], "DELETE FROM `d`.`t` WHERE `id`=2 LIMIT 1");
  BOOST_CHECK_EQUAL((*safe)[2], "REPLACE INTO `d`.`t` (`id`,`code`) VALUES (2,_utf8mb4'c')");
}

BOOST_AUTO_TEST_CASE(batches_of_a_primary_key_table_reduce_to_net_changes_per_row) {
  auto s = keyed_table();
  s->unique_keys.clear();  // the primary key is the only unique key: changes commute by key
  job_batch batch;
  auto job = [&](binlog::rows_kind kind, std::vector<cell> before, std::vector<cell> after) {
    add_job(batch, s, kind, std::move(before), std::move(after));
  };
  using k = binlog::rows_kind;
  auto row = [](uint64_t id, const char* code) {
    return std::vector<cell>{int_cell(id), str_cell(code)};
  };
  job(k::write, {}, row(1, "a"));             // 0: inserted, then deleted (4): nothing
  job(k::write, {}, row(2, "b"));             // 1: inserted, then updated (2): insert 'c'
  job(k::update, row(2, "b"), row(2, "c"));   // 2
  job(k::delete_, row(3, "old"), {});         // 3: deleted, then inserted (5): upsert 'x'
  job(k::delete_, row(1, "a"), {});           // 4
  job(k::write, {}, row(3, "x"));             // 5
  job(k::update, row(4, "d"), row(5, "d"));   // 6: key change: delete 4, insert 5
  job(k::update, row(6, "e"), row(6, "f"));   // 7: upsert 'f'
  auto r = render_batch(batch, false, 1 << 20);
  BOOST_REQUIRE(r);
  BOOST_REQUIRE_EQUAL(r->statements.size(), 3u);
  BOOST_CHECK_EQUAL(r->statements[0], "DELETE FROM `d`.`t` WHERE `id` IN (4)");
  BOOST_CHECK_EQUAL(r->statements[1],
                    "INSERT INTO `d`.`t` (`id`,`code`) VALUES (3,_utf8mb4'x'),(6,_utf8mb4'f') "
                    "ON DUPLICATE KEY UPDATE `id`=VALUES(`id`),`code`=VALUES(`code`)");
  BOOST_CHECK_EQUAL(r->statements[2],
                    "INSERT INTO `d`.`t` (`id`,`code`) VALUES (2,_utf8mb4'c'),(5,_utf8mb4'd')");
  BOOST_CHECK(r->first_job == (std::vector<size_t>{6, 3, 1}));

  // A sequence no upstream produces (a row deleted twice) is written in order, as logged.
  job(k::delete_, row(4, "d"), {});
  auto in_order = render_batch(batch, false, 1 << 20);
  BOOST_REQUIRE(in_order);
  BOOST_CHECK_EQUAL(in_order->statements.size(), 8u);
  BOOST_CHECK_EQUAL(in_order->statements.back(), "DELETE FROM `d`.`t` WHERE `id`=4 LIMIT 1");
}

BOOST_AUTO_TEST_CASE(keys_that_may_be_one_row_downstream_keep_their_order) {
  auto s = std::make_shared<table_schema>();
  s->db = "d";
  s->table = "t";
  s->columns = {{"name", false, "utf8mb4", false, 0, ""}};
  s->primary_key = {0};
  for (auto pair : {std::pair{"abc", "ABC"}, std::pair{"é1", "é2"}}) {
    job_batch batch;
    add_job(batch, s, binlog::rows_kind::write, {}, {str_cell(pair.first)});
    add_job(batch, s, binlog::rows_kind::delete_, {str_cell(pair.second)}, {});
    auto r = render_batch(batch, false, 1 << 20);
    BOOST_REQUIRE(r);
    BOOST_REQUIRE_EQUAL(r->statements.size(), 2u);
    BOOST_CHECK(r->statements[0].rfind("INSERT", 0) == 0);
    BOOST_CHECK(r->statements[1].rfind("DELETE", 0) == 0);
  }
}

BOOST_AUTO_TEST_CASE(replayed_inserts_deleted_in_the_batch_are_still_deleted) {
  auto s = keyed_table();
  s->unique_keys.clear();
  job_batch batch;
  add_job(batch, s, binlog::rows_kind::write, {}, {int_cell(1), str_cell("a")});
  add_job(batch, s, binlog::rows_kind::delete_, {int_cell(1), str_cell("a")}, {});
  auto fresh = render_batch(batch, false, 1 << 20);
  BOOST_REQUIRE(fresh);
  BOOST_CHECK(fresh->statements.empty());  // never existed downstream
  auto replay = render_batch(batch, true, 1 << 20);
  BOOST_REQUIRE(replay);
  BOOST_REQUIRE_EQUAL(replay->statements.size(), 1u);
  BOOST_CHECK_EQUAL(replay->statements[0], "DELETE FROM `d`.`t` WHERE `id` IN (1)");
  // A key whose bytes change to a value that may be the same key is not folded.
  s->columns[0].charset = "utf8mb4";
  batch.jobs.clear();
  add_job(batch, s, binlog::rows_kind::update, {str_cell("\xc3\xa9"), str_cell("x")},
          {str_cell("key \xf0\x9f\x98\x80"), str_cell("x")});
  auto changed = render_batch(batch, false, 1 << 20);
  BOOST_REQUIRE(changed);
  BOOST_REQUIRE_EQUAL(changed->statements.size(), 1u);
  BOOST_CHECK(changed->statements[0].rfind("UPDATE", 0) == 0);
}

BOOST_AUTO_TEST_CASE(foreign_key_groups_are_written_in_order_with_their_checks) {
  using binlog::rows_kind;
  auto parent = id_table("parent"), child = id_table("child"), other = id_table("other");
  struct row {
    const char* what;
    std::vector<row_job> jobs;
    bool force_safe;
    std::vector<std::string> statements;
  };
  const std::vector<row> table = {
      {"checks on around the group's changes, in binlog order, never REPLACE",
       {job(parent, rows_kind::write, 1, true), job(child, rows_kind::write, 7, true),
        job(parent, rows_kind::delete_, 1, true), job(parent, rows_kind::write, 1, true)},
       true,
       {"SET SESSION foreign_key_checks = 1",
        "INSERT INTO `d`.`parent` (`id`,`v`) VALUES (1,10)",
        "INSERT INTO `d`.`child` (`id`,`v`) VALUES (7,70)",
        "DELETE FROM `d`.`parent` WHERE `id`=1 LIMIT 1",
        "INSERT INTO `d`.`parent` (`id`,`v`) VALUES (1,10)", "SET SESSION foreign_key_checks = 0"}},
      {"changes the upstream made with checks off stay without them",
       {job(parent, rows_kind::write, 2, true, false), job(child, rows_kind::write, 3, true)},
       false,
       {"INSERT INTO `d`.`parent` (`id`,`v`) VALUES (2,20)", "SET SESSION foreign_key_checks = 1",
        "INSERT INTO `d`.`child` (`id`,`v`) VALUES (3,30)", "SET SESSION foreign_key_checks = 0"}},
      {"a keyed table beside the group keeps its safe mode and its checks off",
       {job(other, rows_kind::write, 4, false), job(parent, rows_kind::update, 5, true)}, false,
       {"SET SESSION foreign_key_checks = 1",
        "UPDATE `d`.`parent` SET `id`=5,`v`=50 WHERE `id`=5 LIMIT 1",
        "SET SESSION foreign_key_checks = 0", "REPLACE INTO `d`.`other` (`id`,`v`) VALUES (4,40)"}},
  };
  for (auto& r : table) {
    job_batch batch;
    batch.jobs = r.jobs;
    auto rendered = render_batch(batch, r.force_safe, 1 << 20);
    BOOST_REQUIRE(rendered);
    BOOST_CHECK_MESSAGE(rendered->statements == r.statements, r.what);
    if (rendered->statements != r.statements)
      for (auto& s : rendered->statements) BOOST_TEST_MESSAGE("  got: " << s);
  }
}

BOOST_AUTO_TEST_SUITE_END()
