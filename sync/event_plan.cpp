#include "sync/event_plan.hpp"

#include "common/error.hpp"
#include "sync/ddl_session.hpp"
#include "sync/statements.hpp"

namespace dm {

namespace {

// True for row events of a table whose copy (task-mode all) already holds them.
bool before_table_start(const event_context& ctx, const std::string& db, const std::string& table) {
  if (!ctx.table_starts || ctx.table_starts->empty()) return false;
  auto it = ctx.table_starts->find(db + '\0' + table);
  return it != ctx.table_starts->end() && ctx.key < it->second;
}

// The plan of a statement that names tables of online schema changes (`online`).
event_plan plan_online(online_ddl_step online, const binlog::query_event& q,
                       const sql::lexer_mode& mode, const event_context& ctx) {
  event_plan plan;
  plan.ddl.kind = sql::classify_statement(q.query);
  auto fail = [&](std::string why) {
    plan.what = event_plan::step::fail;
    plan.reason = std::move(why);
    return plan;
  };
  auto describe = [&](ddl_plan planned) {
    plan.what = event_plan::step::describe_table;
    plan.ddl = std::move(planned);
    return plan;
  };
  if (!online.fail_reason.empty()) return fail(std::move(online.fail_reason));
  if (online.record) {
    plan.what = event_plan::step::record_shadow;
    plan.shadow_record = std::move(online.record);
    return plan;
  }
  for (auto& swap : online.alters) {
    auto& alter = swap.alter;
    auto planned =
        plan_ddl(alter.statement, alter.default_db, *ctx.rules, alter.mode, ctx.definitions,
                 ctx.shards);
    if (planned.what == ddl_plan::action::describe) return describe(std::move(planned));
    if (planned.what == ddl_plan::action::fail)
      return fail(planned.reason + " (a change an online schema change made)");
    if (planned.what == ddl_plan::action::apply)
      plan.shadow_alters.push_back(
          {std::move(planned), std::move(alter.session), alter.mode, swap.migration, swap.index});
  }
  if (!online.rest.empty()) {
    auto kind = plan.ddl.kind;
    plan.ddl = plan_ddl(online.rest, q.db, *ctx.rules, mode, ctx.definitions, ctx.shards);
    if (plan.ddl.what == ddl_plan::action::describe) return describe(std::move(plan.ddl));
    if (plan.ddl.what == ddl_plan::action::fail) return fail(plan.ddl.reason);
    plan.ddl.kind = kind;
  }
  plan.shadows_finished = std::move(online.finished);
  bool runs = !plan.shadow_alters.empty() || plan.ddl.what == ddl_plan::action::apply;
  if (runs || !plan.shadows_finished.empty()) {
    plan.what = event_plan::step::online_ddl;
    plan.barrier = true;
  } else {
    plan.what = event_plan::step::skip;
    plan.reason = online.skip_reason;
  }
  return plan;
}

event_plan plan_query(const binlog::query_event& q, const event_context& ctx) {
  auto mode = lexer_mode_of(q.status.sql_mode);
  if (ctx.online && ctx.online->enabled() && ctx.migrations) {
    auto online = plan_online_ddl(sql::analyze_ddl(q.query, q.db, mode), q.query, q.db, mode,
                                  ctx.key, *ctx.online, *ctx.rules, *ctx.migrations);
    if (online.handled) return plan_online(std::move(online), q, mode, ctx);
  }
  event_plan plan;
  plan.ddl = plan_ddl(q.query, q.db, *ctx.rules, mode, ctx.definitions, ctx.shards);
  if (plan.ddl.kind == sql::statement_kind::transaction_control) return plan;
  switch (plan.ddl.what) {
    case ddl_plan::action::describe:
      plan.what = event_plan::step::describe_table;
      break;
    case ddl_plan::action::skip:
      plan.what = event_plan::step::skip;
      plan.reason = plan.ddl.reason;
      break;
    case ddl_plan::action::fail:
      plan.what = event_plan::step::fail;
      plan.reason = plan.ddl.reason;
      break;
    case ddl_plan::action::apply:
      plan.what = event_plan::step::apply_ddl;
      plan.barrier = true;
      break;
  }
  return plan;
}

event_plan plan_rows(const binlog::rows_event& rows, const binlog::table_map_event& table,
                     const event_context& ctx) {
  event_plan plan;
  plan.what = event_plan::step::skip;
  // Rows of an online schema change's shadow and trash tables: the swap brings their outcome.
  if ((ctx.online && ctx.online->is_helper(table.table)) ||
      !ctx.rules->replicated(table.db, table.table) ||
      before_table_start(ctx, table.db, table.table))
    return plan;
  std::string rule;
  auto verdict = ctx.rules->filter(table.db, table.table, dml_event_name(rows.kind), "", &rule);
  if (verdict == table_rules::verdict::fail) {
    plan.what = event_plan::step::fail;
    plan.reason = "filter " + rule + " makes " + dml_event_name(rows.kind) + " on " + table.db +
                  "." + table.table + " an error";
    return plan;
  }
  if (verdict == table_rules::verdict::skip) return plan;
  auto target = ctx.rules->route(table.db, table.table);
  if (!target) {
    plan.what = event_plan::step::fail;
    plan.reason = describe(target.error());
    return plan;
  }
  plan.what = event_plan::step::rows;
  plan.target = std::move(*target);
  return plan;
}

}  // namespace

const char* dml_event_name(binlog::rows_kind kind) {
  switch (kind) {
    case binlog::rows_kind::write: return "insert";
    case binlog::rows_kind::update: return "update";
    default: return "delete";
  }
}

event_plan plan_event(const binlog::decoded_event& event, const event_context& ctx) {
  event_plan plan;
  const auto& body = event.body;
  if (std::holds_alternative<binlog::format_description>(body)) {
    plan.what = event_plan::step::new_format;
    return plan;
  }
  if (std::holds_alternative<binlog::rotate_event>(body)) {
    plan.what = event_plan::step::rotate;
    return plan;
  }
  if (ctx.decision && ctx.decision->key == ctx.key) {
    plan.barrier = true;
    if (ctx.decision->action == error_action::skip) {
      plan.what = event_plan::step::operator_skip;
    } else {
      plan.what = ctx.decision->action == error_action::inject ? event_plan::step::operator_inject
                                                               : event_plan::step::operator_replace;
      plan.ddl.statements = split_statements(ctx.decision->sql);
    }
    return plan;
  }
  if (auto* q = std::get_if<binlog::query_event>(&body)) return plan_query(*q, ctx);
  if (auto* rows = std::get_if<binlog::rows_event>(&body)) {
    if (event.table) return plan_rows(*rows, *event.table, ctx);
  }
  return plan;
}

}  // namespace dm
