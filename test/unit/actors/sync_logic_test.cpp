// The syncer's pure logic: causality routing, commit tracking, batch SQL, config JSON.
#include <boost/test/unit_test.hpp>

#include "actors/batch_sql.hpp"
#include "actors/causality.hpp"
#include "actors/commit_tracker.hpp"
#include "actors/config_json.hpp"

using namespace dm;
using binlog::cell;
using binlog::cell_kind;

namespace {

cell int_cell(uint64_t v) {
  cell c;
  c.kind = cell_kind::integer;
  c.u = v;
  c.width = 4;
  return c;
}

cell str_cell(std::string v) {
  cell c;
  c.kind = cell_kind::string;
  c.text = std::move(v);
  return c;
}

std::shared_ptr<table_schema> keyed_table() {
  auto s = std::make_shared<table_schema>();
  s->db = "d";
  s->table = "t";
  s->columns = {{"id", false, "", false}, {"code", false, "utf8mb4", false}};
  s->primary_key = {0};
  s->unique_keys = {{1}};
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_logic_test)

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
  s.columns = {{"a", false, "", false}};
  std::vector<std::string> keys;
  append_causality_keys(s, "`d`.`t`", {int_cell(1)}, keys);
  BOOST_REQUIRE_EQUAL(keys.size(), 1u);
  BOOST_CHECK_EQUAL(keys[0], "`d`.`t`");
}

BOOST_AUTO_TEST_CASE(checkpoints_wait_for_every_earlier_batch) {
  commit_tracker<int> t;
  auto b1 = t.open_batch();
  t.boundary(10);
  auto b2 = t.open_batch();
  t.boundary(20);
  t.committed(b2);
  BOOST_CHECK(!t.take_safe());  // b1 still out
  t.committed(b1);
  auto safe = t.take_safe();
  BOOST_REQUIRE(safe);
  BOOST_CHECK_EQUAL(*safe, 20);
  t.boundary(30);  // nothing in flight: safe at once
  BOOST_CHECK_EQUAL(t.take_safe().value_or(0), 30);
  BOOST_CHECK(t.idle());
}

BOOST_AUTO_TEST_CASE(batches_merge_consecutive_inserts_and_respect_safe_mode) {
  auto s = keyed_table();
  job_batch batch;
  auto job = [&](binlog::rows_kind kind, std::vector<cell> before, std::vector<cell> after) {
    row_job j;
    j.schema = s;
    j.target = "`d`.`t`";
    j.kind = kind;
    j.before = std::move(before);
    j.after = std::move(after);
    batch.jobs.push_back(std::move(j));
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

BOOST_AUTO_TEST_CASE(configs_survive_the_json_round_trip) {
  task_config t;
  t.name = "t";
  t.target_database.port = 4000;
  mysql_instance inst;
  inst.source_id = "s";
  inst.meta.binlog_name = "bin.000001";
  inst.syncer.worker_count = 3;
  t.mysql_instances.push_back(inst);
  auto back = task_config_from_json(to_json(t));
  BOOST_REQUIRE(back);
  BOOST_CHECK_EQUAL(back->target_database.port, 4000);
  BOOST_CHECK_EQUAL(back->mysql_instances.at(0).syncer.worker_count, 3u);
  // Records written by an older version (fewer fields) still load.
  auto old = source_config_from_json(R"({"source_id": "s", "from": {"host": "h"}})");
  BOOST_REQUIRE(old);
  BOOST_CHECK_EQUAL(old->from.port, 3306);
  BOOST_CHECK(!source_config_from_json("not json"));
}

BOOST_AUTO_TEST_SUITE_END()
