// What the syncer does with each kind of event: table-driven over decoded events built by hand,
// under one set of rules (a database routed, one ignored, a filter that fails deletes, another
// that drops truncates) and with or without an operator's decision.
#include <boost/test/unit_test.hpp>

#include "sync/event_plan.hpp"
#include "test/unit/test_util.hpp"

using namespace dm;
using step = event_plan::step;

namespace {

table_rules rules() {
  mysql_instance inst;
  inst.block_allow.ignore_dbs = {"secret"};
  inst.routes = {{"shard_*", "", "merged", "", {}, {}, {}}};
  inst.filters = {{"no-deletes", "app", "audit", {"delete"}, {}, "Error"},
                  {"no-truncate", "app", "", {"truncate table"}, {}, "Ignore"}};
  auto r = table_rules::compile(inst);
  if (!r) throw std::runtime_error(describe(r.error()));
  return std::move(*r);
}

binlog::decoded_event query(const std::string& db, const std::string& sql,
                            std::optional<uint64_t> sql_mode = std::nullopt) {
  binlog::query_event q;
  q.db = db;
  q.query = sql;
  q.status.sql_mode = sql_mode;
  binlog::decoded_event e;
  e.body = q;
  return e;
}

// A rows event of `db`.`table`; the table map is kept alive by the caller.
binlog::decoded_event rows(binlog::rows_kind kind, const binlog::table_map_event& map) {
  binlog::rows_event r;
  r.kind = kind;
  binlog::decoded_event e;
  e.body = r;
  e.table = &map;
  return e;
}

binlog::table_map_event table(const std::string& db, const std::string& name) {
  binlog::table_map_event t;
  t.db = db;
  t.table = name;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_plan_test)

BOOST_AUTO_TEST_CASE(each_event_gets_its_step) {
  auto r = rules();
  auto orders = table("app", "orders"), audit = table("app", "audit"),
       shard = table("shard_3", "users"), hidden = table("secret", "keys"),
       copied = table("app", "copied");
  std::map<std::string, relay_key> starts{{std::string{"app"} + '\0' + "copied", {0, 1, 500}}};
  struct row {
    const char* what;
    binlog::decoded_event event;
    relay_key key;
    step expected;
    bool barrier;
    std::string detail;  // the reason (skip, fail) or the target (rows), "db.table"
  };
  const std::vector<row> table_rows = {
      {"transaction control passes", query("app", "BEGIN"), {0, 1, 100}, step::pass, false, ""},
      {"a replicated DDL is a barrier", query("app", "ALTER TABLE t ADD c INT"), {0, 1, 100},
       step::apply_ddl, true, ""},
      {"a DDL of an ignored database is skipped", query("secret", "CREATE TABLE t (a INT)"),
       {0, 1, 100}, step::skip, false, "secret.t"},
      {"a filtered DDL is skipped", query("app", "TRUNCATE TABLE orders"), {0, 1, 100}, step::skip,
       false, "truncate table"},
      {"rows of a replicated table are dispatched", rows(binlog::rows_kind::write, orders),
       {0, 1, 100}, step::rows, false, "app.orders"},
      {"rows of a routed table go to the target", rows(binlog::rows_kind::update, shard),
       {0, 1, 100}, step::rows, false, "merged.users"},
      {"rows of an ignored database are skipped quietly", rows(binlog::rows_kind::write, hidden),
       {0, 1, 100}, step::skip, false, ""},
      {"a filter with action Error fails", rows(binlog::rows_kind::delete_, audit), {0, 1, 100},
       step::fail, false, "no-deletes"},
      {"rows before the table's copy are skipped", rows(binlog::rows_kind::write, copied),
       {0, 1, 499}, step::skip, false, ""},
      {"rows after the table's copy are dispatched", rows(binlog::rows_kind::write, copied),
       {0, 1, 500}, step::rows, false, "app.copied"},
  };
  for (auto& t : table_rows) {
    event_context ctx{t.key, &r, nullptr, &starts};
    auto plan = plan_event(t.event, ctx);
    BOOST_CHECK_MESSAGE(plan.what == t.expected, t.what);
    BOOST_CHECK_MESSAGE(plan.barrier == t.barrier, t.what);
    if (t.expected == step::rows)
      BOOST_CHECK_MESSAGE(plan.target.first + "." + plan.target.second == t.detail, t.what);
    else if (!t.detail.empty())
      BOOST_CHECK_MESSAGE(plan.reason.find(t.detail) != std::string::npos,
                          t.what << ": " << plan.reason);
  }
}

BOOST_AUTO_TEST_CASE(an_operators_decision_replaces_or_skips_exactly_its_event) {
  auto r = rules();
  auto orders = table("app", "orders");
  operator_decision replace{
      {0, 1, 300}, error_action::replace, "UPDATE t SET a=1; DELETE FROM u", {}};
  operator_decision skip{{0, 1, 300}, error_action::skip, "", {}};
  auto at = [&](const operator_decision& d, relay_key key) {
    event_context ctx{key, &r, &d, nullptr};
    return plan_event(rows(binlog::rows_kind::write, orders), ctx);
  };
  auto replaced = at(replace, {0, 1, 300});
  BOOST_CHECK(replaced.what == step::operator_replace);
  BOOST_CHECK(replaced.barrier);
  BOOST_CHECK((replaced.ddl.statements ==
               std::vector<std::string>{"UPDATE t SET a=1", " DELETE FROM u"}));
  auto skipped = at(skip, {0, 1, 300});
  BOOST_CHECK(skipped.what == step::operator_skip);
  BOOST_CHECK(skipped.barrier);
  // Any other event is planned as usual.
  BOOST_CHECK(at(replace, {0, 1, 301}).what == step::rows);
}

BOOST_AUTO_TEST_CASE(a_statement_is_read_under_its_sql_mode) {
  auto r = rules();
  event_context ctx{{0, 1, 100}, &r, nullptr, nullptr};
  auto ansi = plan_event(query("", "CREATE TABLE \"shard_1\".\"t\" (a INT)", 1ull << 2), ctx);
  BOOST_REQUIRE(ansi.what == step::apply_ddl);
  BOOST_CHECK_EQUAL(ansi.ddl.statements.at(0), "CREATE TABLE IF NOT EXISTS `merged`.`t` (a INT)");
}

BOOST_AUTO_TEST_SUITE_END()
