// What the syncer does with one decoded relay event, decided without I/O: the first half of the
// syncer's loop (receive -> event_plan -> dispatcher -> send).
//
// The plan says which step to take and whether every applier must drain first (a barrier:
// schema changes and operator decisions run alone, after everything before them committed).
// Executing it (resolving table structures, decoding rows, running DDL) is the syncer's part.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "model/messages.hpp"
#include "model/stages.hpp"
#include "protocol/binlog/stream_decoder.hpp"
#include "sync/ddl_plan.hpp"
#include "sync/online_ddl.hpp"
#include "sync/table_rules.hpp"

namespace dm {

// An operator's decision about one event (handle-error / binlog skip|replace).
struct operator_decision {
  relay_key key;
  error_action action = error_action::skip;
  // For replace: the statements to run instead.
  std::string sql;
  // Made ahead (binlog -b): the event that starts at this upstream position, once the syncer
  // reaches it; `key` is set then. Empty file: the decision is about the event at `key`.
  binlog_position at;
};

// What the plan needs to know besides the event.
struct event_context {
  // The event's place in the relay log.
  relay_key key;
  // The task's rules for this source.
  table_rules* rules = nullptr;
  // The operator's pending decision, if any.
  const operator_decision* decision = nullptr;
  // Tables copied at a snapshot after the sync start ("db" NUL "table" -> key of that
  // snapshot): their row events before it are in the copy already.
  const std::map<std::string, relay_key>* table_starts = nullptr;
  // The task's online-ddl rules (null: off), and the online schema changes in progress.
  const online_ddl_rules* online = nullptr;
  const shadow_migrations* migrations = nullptr;
  // Downstream table definitions read for this event (step describe_table), or null.
  const table_definitions* definitions = nullptr;
  // How schema changes of merged tables are treated (the task's shard-mode).
  shard_ddl shards = shard_ddl::plain;
};

// A recorded change of an online schema change's shadow table, planned for its real table
// (routed, filtered), with the session it ran in upstream; the `index`-th of migration
// `migration` (shadow_key).
struct shadow_alter_plan {
  ddl_plan ddl;
  event_session session;
  // How its statement reads quotes (its session's sql_mode).
  sql::lexer_mode mode;
  std::string migration;
  size_t index = 0;
};

struct event_plan {
  enum class step {
    // Nothing to apply (transaction control, GTID, XID, an event of no interest).
    pass,
    // A format description: later events of its file are read with it.
    new_format,
    // A rotate event: the file changes.
    rotate,
    // The operator decided to skip this event, to run `ddl.statements` instead of it, or to run
    // them before it (binlog inject -b; the event is then planned again, without the decision).
    operator_skip,
    operator_replace,
    operator_inject,
    // A schema change to apply downstream (`ddl`).
    apply_ddl,
    // A schema change or row event that is not replicated, or filtered out (`reason`).
    skip,
    // Stop the task on this event (`reason`): a filter with action Error, or a schema change
    // the rules cannot place.
    fail,
    // The filters need the definition of downstream table `ddl.described` before this schema
    // change: read it into the context's definitions, then plan the event again.
    describe_table,
    // Row changes to dispatch, to `target` (db, table).
    rows,
    // A change of an online schema change's shadow table: store `shadow_record` (with this
    // event's session), nothing runs downstream.
    record_shadow,
    // A statement about online schema changes' tables: run `shadow_alters` (a swap), then
    // `ddl` when it applies (the statement's other tables), then forget `shadows_finished`
    // once the checkpoint is past the event. Always a barrier.
    online_ddl,
  };
  step what = step::pass;
  // Every applier must have committed everything before the step runs.
  bool barrier = false;
  ddl_plan ddl;
  std::string reason;
  std::pair<std::string, std::string> target;
  // Online schema changes (record_shadow, online_ddl).
  std::optional<shadow_migration> shadow_record;
  std::vector<shadow_alter_plan> shadow_alters;
  std::vector<std::string> shadows_finished;
};

// The plan for `event` (decoded with its table map, for rows events) in `context`.
event_plan plan_event(const binlog::decoded_event& event, const event_context& context);

// The DM filter event name of a rows event ("insert", "update", "delete").
const char* dml_event_name(binlog::rows_kind kind);

}  // namespace dm
