// Online schema changes through the syncer's plans: the statement sequences of
// pt-online-schema-change and gh-ost (atomic and two-step cut-over), a migration aborted, one
// that began before the task, shadows of tables not replicated, replays, and the rules. Each
// sequence is fed as the syncer feeds it: one event after another, its plan's records stored
// and forgotten in between.
#include <boost/test/unit_test.hpp>

#include "sync/event_plan.hpp"
#include "test/unit/test_util.hpp"

using namespace dm;
using step = event_plan::step;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// shop is replicated and routed to store; shop.logs is not replicated.
table_rules rules() {
  mysql_instance inst;
  inst.block_allow.do_dbs = {"shop"};
  inst.block_allow.ignore_tables = {{"shop", "logs"}};
  inst.routes = {{"shop", "", "store", "", {}, {}, {}}};
  auto r = table_rules::compile(inst);
  if (!r) throw std::runtime_error(describe(r.error()));
  return std::move(*r);
}

online_ddl_rules online(bool on = true) {
  online_ddl_config config;
  if (on) config = default_online_ddl();
  auto r = online_ddl_rules::compile(config);
  if (!r) throw std::runtime_error(describe(r.error()));
  return std::move(*r);
}

// Plans events in order, keeping the migrations as the syncer does.
struct syncer_model {
  table_rules table = rules();
  online_ddl_rules helpers = online();
  shadow_migrations migrations;
  uint32_t offset = 100;

  event_plan feed(const binlog::decoded_event& e, std::optional<relay_key> at = std::nullopt) {
    relay_key key = at ? *at : relay_key{0, 1, offset += 100};
    event_context ctx{key, &table, nullptr, nullptr, &helpers, &migrations};
    auto plan = plan_event(e, ctx);
    if (plan.shadow_record) {
      auto& m = *plan.shadow_record;
      migrations[shadow_key(m.db, m.shadow)] = m;
    }
    for (auto& k : plan.shadows_finished) migrations.erase(k);
    return plan;
  }
  event_plan query(const std::string& sql, std::optional<relay_key> at = std::nullopt) {
    binlog::query_event q;
    q.db = "shop";
    q.query = sql;
    binlog::decoded_event e;
    e.body = q;
    return feed(e, at);
  }
  event_plan rows_of(const std::string& name) {
    binlog::table_map_event t;
    t.db = "shop";
    t.table = name;
    binlog::rows_event r;
    r.kind = binlog::rows_kind::write;
    binlog::decoded_event e;
    e.body = r;
    e.table = &t;
    return feed(e);
  }
};

std::vector<std::string> statements_of(const event_plan& plan) {
  std::vector<std::string> out;
  for (auto& a : plan.shadow_alters)
    out.insert(out.end(), a.ddl.statements.begin(), a.ddl.statements.end());
  if (plan.ddl.what == ddl_plan::action::apply)
    out.insert(out.end(), plan.ddl.statements.begin(), plan.ddl.statements.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(online_ddl_test)

BOOST_AUTO_TEST_CASE(pt_online_schema_change_becomes_one_alter_at_the_swap) {
  syncer_model s;
  auto create = s.query("CREATE TABLE `shop`.`_orders_new` (`id` int NOT NULL, PRIMARY KEY "
                        "(`id`))");
  BOOST_CHECK(create.what == step::record_shadow);
  BOOST_CHECK(!create.barrier);
  auto alter = s.query("ALTER TABLE `shop`.`_orders_new` ADD COLUMN note VARCHAR(10)");
  BOOST_CHECK(alter.what == step::record_shadow);
  BOOST_REQUIRE_EQUAL(s.migrations.size(), 1u);
  auto& m = s.migrations.begin()->second;
  BOOST_CHECK(m.complete);
  BOOST_CHECK_EQUAL(m.real, "orders");
  BOOST_REQUIRE_EQUAL(m.alters.size(), 1u);
  BOOST_CHECK_EQUAL(m.alters[0].statement, "ALTER TABLE `shop`.`orders` ADD COLUMN note "
                                           "VARCHAR(10)");
  BOOST_CHECK(s.query("CREATE TRIGGER `pt_osc_shop_orders_ins` AFTER INSERT ON `shop`.`orders` "
                      "FOR EACH ROW REPLACE INTO `shop`.`_orders_new` (`id`) VALUES (NEW.`id`)")
                  .what == step::skip);
  // The copy and the triggers' rows go to the shadow; the real table's rows go on.
  BOOST_CHECK(s.rows_of("_orders_new").what == step::skip);
  auto real_rows = s.rows_of("orders");
  BOOST_CHECK(real_rows.what == step::rows);
  BOOST_CHECK(real_rows.target == std::make_pair(std::string{"store"}, std::string{"orders"}));
  BOOST_CHECK(s.query("ANALYZE TABLE `shop`.`_orders_new`").what == step::skip);
  auto swap = s.query("RENAME TABLE `shop`.`orders` TO `shop`.`_orders_old`, "
                      "`shop`.`_orders_new` TO `shop`.`orders`");
  BOOST_CHECK(swap.what == step::online_ddl);
  BOOST_CHECK(swap.barrier);
  // Routed like any change of shop.orders.
  BOOST_CHECK(statements_of(swap) ==
              std::vector<std::string>{"ALTER TABLE `store`.`orders` ADD COLUMN note VARCHAR(10)"});
  BOOST_CHECK(s.migrations.empty());
  BOOST_CHECK(s.query("DROP TABLE IF EXISTS `shop`.`_orders_old`").what == step::skip);
  BOOST_CHECK(s.rows_of("_orders_old").what == step::skip);
}

BOOST_AUTO_TEST_CASE(gh_ost_atomic_and_two_step_cut_over) {
  for (bool two_step : {false, true}) {
    BOOST_TEST_CONTEXT((two_step ? "two-step" : "atomic")) {
      syncer_model s;
      BOOST_CHECK(s.query("create /* gh-ost */ table `shop`.`_users_gho` like `shop`.`users`")
                      .what == step::record_shadow);
      BOOST_CHECK(s.query("alter /* gh-ost */ table `shop`.`_users_gho` add key k (name)")
                      .what == step::record_shadow);
      BOOST_CHECK(s.query("alter /* gh-ost */ table `shop`.`_users_gho` modify name "
                          "varchar(200)").what == step::record_shadow);
      BOOST_CHECK(s.query("create /* gh-ost */ table `shop`.`_users_ghc` (id bigint)").what ==
                  step::skip);
      BOOST_CHECK(s.rows_of("_users_ghc").what == step::skip);
      BOOST_CHECK(s.rows_of("_users_gho").what == step::skip);
      BOOST_CHECK(s.query("create /* gh-ost */ table `shop`.`_users_del` (id int)").what ==
                  step::skip);
      BOOST_CHECK(s.query("drop /* gh-ost */ table if exists `shop`.`_users_del`").what ==
                  step::skip);
      event_plan swap;
      if (two_step) {
        BOOST_CHECK(s.query("rename /* gh-ost */ table `shop`.`users` to `shop`.`_users_del`")
                        .what == step::skip);
        swap = s.query("rename /* gh-ost */ table `shop`.`_users_gho` to `shop`.`users`");
      } else {
        swap = s.query("rename /* gh-ost */ table `shop`.`users` to `shop`.`_users_del`, "
                       "`shop`.`_users_gho` to `shop`.`users`");
      }
      BOOST_CHECK(swap.what == step::online_ddl);
      BOOST_CHECK(statements_of(swap) ==
                  (std::vector<std::string>{
                      "alter /* gh-ost */ table `store`.`users` add key k (name)",
                      "alter /* gh-ost */ table `store`.`users` modify name varchar(200)"}));
      BOOST_CHECK(s.query("drop /* gh-ost */ table if exists `shop`.`_users_ghc`").what ==
                  step::skip);
      BOOST_CHECK(s.migrations.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_replay_records_each_change_once) {
  syncer_model s;
  s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`", relay_key{0, 1, 100});
  s.query("ALTER TABLE `shop`.`_orders_new` ADD INDEX (note)", relay_key{0, 1, 200});
  // A restart from a checkpoint between the two replays the ALTER.
  s.query("ALTER TABLE `shop`.`_orders_new` ADD INDEX (note)", relay_key{0, 1, 200});
  BOOST_CHECK_EQUAL(s.migrations.begin()->second.alters.size(), 1u);
  // One from before the CREATE starts the record over.
  s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`", relay_key{0, 1, 100});
  BOOST_CHECK(s.migrations.begin()->second.alters.empty());
}

BOOST_AUTO_TEST_CASE(an_aborted_migration_leaves_the_downstream_alone) {
  syncer_model s;
  s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`");
  s.query("ALTER TABLE `shop`.`_orders_new` DROP COLUMN note");
  auto drop = s.query("DROP TABLE IF EXISTS `shop`.`_orders_new`");
  BOOST_CHECK(drop.what == step::online_ddl);
  BOOST_CHECK(statements_of(drop).empty());
  BOOST_CHECK(s.migrations.empty());
}

// pt-online-schema-change --alter-foreign-keys-method=drop_swap: the real table is dropped, then
// the shadow renamed into its place; the downstream table is kept and altered.
BOOST_AUTO_TEST_CASE(drop_swap_keeps_the_real_table_for_the_swap) {
  syncer_model s;
  s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`");
  s.query("ALTER TABLE `shop`.`_orders_new` ADD COLUMN x INT");
  auto drop = s.query("DROP TABLE IF EXISTS `shop`.`orders`");
  BOOST_CHECK(drop.what == step::record_shadow);
  BOOST_CHECK(s.migrations.begin()->second.real_dropped);
  auto swap = s.query("RENAME TABLE `shop`.`_orders_new` TO `shop`.`orders`");
  BOOST_CHECK(statements_of(swap) ==
              std::vector<std::string>{"ALTER TABLE `store`.`orders` ADD COLUMN x INT"});
  // Had the shadow been dropped instead, the real table would go with it.
  syncer_model t;
  t.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`");
  t.query("DROP TABLE `shop`.`orders`");
  BOOST_CHECK(statements_of(t.query("DROP TABLE `shop`.`_orders_new`")) ==
              std::vector<std::string>{"DROP TABLE IF EXISTS `store`.`orders`"});
}

// gh-ost's two-step cut-over renames with ALTER TABLE ... RENAME.
BOOST_AUTO_TEST_CASE(alter_table_rename_cut_over) {
  syncer_model s;
  s.query("CREATE TABLE `shop`.`_users_gho` LIKE `shop`.`users`");
  s.query("ALTER TABLE `shop`.`_users_gho` ADD COLUMN x INT");
  BOOST_CHECK(s.query("ALTER /* gh-ost */ TABLE `shop`.`users` RENAME `shop`.`_users_del`").what ==
              step::skip);
  auto swap = s.query("ALTER /* gh-ost */ TABLE `shop`.`_users_gho` RENAME TO `shop`.`users`");
  BOOST_CHECK(swap.what == step::online_ddl);
  BOOST_CHECK(statements_of(swap) ==
              std::vector<std::string>{"ALTER TABLE `store`.`users` ADD COLUMN x INT"});
  // A rename that also changes a helper table cannot be placed.
  s.query("CREATE TABLE `shop`.`_users_gho` LIKE `shop`.`users`");
  BOOST_CHECK(s.query("ALTER TABLE `shop`.`_users_gho` ADD COLUMN y INT, RENAME TO "
                      "`shop`.`users`").what == step::fail);
}

// A swap run again after some of its changes ran goes on after them.
BOOST_AUTO_TEST_CASE(a_swap_run_again_skips_what_it_applied) {
  syncer_model s;
  s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`");
  s.query("ALTER TABLE `shop`.`_orders_new` ADD COLUMN x INT");
  s.query("ALTER TABLE `shop`.`_orders_new` ADD INDEX (x)");
  s.migrations.begin()->second.applied = 1;
  auto swap = s.query("RENAME TABLE shop.orders TO shop._orders_old, shop._orders_new TO "
                      "shop.orders");
  BOOST_REQUIRE_EQUAL(swap.shadow_alters.size(), 1u);
  BOOST_CHECK_EQUAL(swap.shadow_alters[0].index, 1u);
  BOOST_CHECK(statements_of(swap) ==
              std::vector<std::string>{"ALTER TABLE `store`.`orders` ADD INDEX (x)"});
}

BOOST_AUTO_TEST_CASE(a_migration_begun_before_the_task_pauses_at_its_swap) {
  syncer_model s;
  s.query("ALTER TABLE `shop`.`_orders_new` ADD COLUMN x INT");
  auto swap = s.query("RENAME TABLE `shop`.`orders` TO `shop`.`_orders_old`, "
                      "`shop`.`_orders_new` TO `shop`.`orders`");
  BOOST_CHECK(swap.what == step::fail);
  BOOST_CHECK(contains(swap.reason, "began before this task's start position"));
  BOOST_CHECK(contains(swap.reason, "binlog skip"));
}

BOOST_AUTO_TEST_CASE(shadows_of_tables_not_replicated_are_ignored) {
  syncer_model s;
  BOOST_CHECK(s.query("CREATE TABLE `shop`.`_logs_new` LIKE `shop`.`logs`").what == step::skip);
  BOOST_CHECK(s.query("ALTER TABLE `shop`.`_logs_new` ADD COLUMN x INT").what == step::skip);
  BOOST_CHECK(s.query("RENAME TABLE `shop`.`logs` TO `shop`.`_logs_old`, `shop`.`_logs_new` TO "
                      "`shop`.`logs`")
                  .what == step::skip);
  BOOST_CHECK(s.migrations.empty());
}

BOOST_AUTO_TEST_CASE(other_tables_of_a_statement_are_planned_as_usual) {
  syncer_model s;
  s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`");
  s.query("ALTER TABLE `shop`.`_orders_new` ADD COLUMN x INT");
  auto swap = s.query("RENAME TABLE shop.a TO shop.b, shop.orders TO shop._orders_old, "
                      "shop._orders_new TO shop.orders");
  BOOST_CHECK(statements_of(swap) ==
              (std::vector<std::string>{"ALTER TABLE `store`.`orders` ADD COLUMN x INT",
                                        "RENAME TABLE `store`.`a` TO `store`.`b`"}));
  auto drop = s.query("DROP TABLE shop._x_old, shop.c");
  BOOST_CHECK(drop.what == step::online_ddl);
  BOOST_CHECK(statements_of(drop) ==
              std::vector<std::string>{"DROP TABLE IF EXISTS `store`.`c`"});
}

BOOST_AUTO_TEST_CASE(swaps_it_cannot_place_stop_the_task) {
  syncer_model s;
  // pt-online-schema-change's __orders_new (when _orders_new existed): the rules read the real
  // name as _orders, which is not replicated; the swap into orders must not pass silently.
  s.table = [] {
    mysql_instance inst;
    inst.block_allow.do_tables = {{"shop", "orders"}};
    auto r = table_rules::compile(inst);
    return std::move(*r);
  }();
  BOOST_CHECK(s.query("CREATE TABLE `shop`.`__orders_new` LIKE `shop`.`orders`").what ==
              step::skip);
  auto misread = s.query("RENAME TABLE shop.orders TO shop.__orders_old, shop.__orders_new TO "
                         "shop.orders");
  BOOST_CHECK(misread.what == step::fail);
  BOOST_CHECK(contains(misread.reason, "under another name than shop._orders"));
  s.table = rules();
  s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`");
  // The real table moved away in the same statement: one copy downstream cannot be both.
  BOOST_CHECK(s.query("RENAME TABLE shop.orders TO shop.orders_bak, shop._orders_new TO "
                      "shop.orders").what == step::fail);
  auto other_name = s.query("RENAME TABLE shop._orders_new TO shop.orders2");
  BOOST_CHECK(other_name.what == step::fail);
  BOOST_CHECK(contains(other_name.reason, "under another name than shop.orders"));
  auto into_shadow = s.query("RENAME TABLE shop.x TO shop._x_gho");
  BOOST_CHECK(into_shadow.what == step::fail);
  BOOST_CHECK(contains(s.query("ALTER TABLE shop._orders_new RENAME TO shop.y").reason,
                       "under another name than shop.orders"));
}

BOOST_AUTO_TEST_CASE(with_online_ddl_off_the_tables_are_ordinary) {
  syncer_model s;
  s.helpers = online(false);
  BOOST_CHECK(s.query("CREATE TABLE `shop`.`_orders_new` LIKE `shop`.`orders`").what ==
              step::apply_ddl);
  BOOST_CHECK(s.rows_of("_orders_new").what == step::rows);
}

BOOST_AUTO_TEST_CASE(rules_capture_the_real_name_and_are_checked) {
  auto pt = online_ddl_rules::compile(default_online_ddl("pt"));
  BOOST_REQUIRE(pt);
  BOOST_CHECK_EQUAL(pt->real_of_shadow("_t_new").value_or(""), "t");
  BOOST_CHECK(!pt->real_of_shadow("_t_gho"));
  BOOST_CHECK(pt->is_trash("_t_old"));
  BOOST_CHECK(!pt->is_helper("t_new"));
  auto gh = online_ddl_rules::compile(default_online_ddl("gh-ost"));
  BOOST_REQUIRE(gh);
  BOOST_CHECK_EQUAL(gh->real_of_shadow("_my_table_gho").value_or(""), "my_table");
  BOOST_CHECK(gh->is_trash("_t_ghc") && gh->is_trash("_t_del") && !gh->is_trash("_t_old"));
  online_ddl_config custom{true, {"^(.+)_shadow$"}, {"^(.+)_trash$"}};
  auto c = online_ddl_rules::compile(custom);
  BOOST_REQUIRE(c);
  BOOST_CHECK_EQUAL(c->real_of_shadow("orders_shadow").value_or(""), "orders");
  custom.shadow_table_rules = {"^shadow$"};
  auto no_group = online_ddl_rules::compile(custom);
  BOOST_REQUIRE(!no_group);
  BOOST_CHECK(contains(describe(no_group.error()), "no group capturing the real table's name"));
  custom.shadow_table_rules = {"^(x"};
  BOOST_CHECK(!online_ddl_rules::compile(custom));
}

BOOST_AUTO_TEST_SUITE_END()
