#include "actors/syncer.hpp"

#include <mysqld_error.h>

#include <algorithm>

#include <caf/all.hpp>

#include "actors/applier.hpp"
#include "actors/shard_coordinator.hpp"
#include "common/ascii_case.hpp"
#include "common/defaults.hpp"
#include "common/log.hpp"
#include "io/connection_settings.hpp"
#include "io/meta_tables.hpp"
#include "io/operator_decision.hpp"
#include "io/relay_repair.hpp"
#include "io/shadow_migration_store.hpp"
#include "io/shard_tables.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/schema_loader.hpp"
#include "protocol/sql/lexer.hpp"
#include "protocol/sql/quote.hpp"
#include "storage/database.hpp"
#include "storage/dump_store.hpp"
#include "sync/apply_marks.hpp"
#include "sync/downstream_checkpoint.hpp"
#include "sync/ddl_session.hpp"
#include "sync/row_images.hpp"

namespace dm {

namespace {

using self_ptr = syncer_actor::stateful_pointer<syncer_actor_state>;
using hold = syncer_actor_state::hold;
using step = event_plan::step;

caf::error ensure_meta_tables(self_ptr self);
caf::expected<mysql_connection*> ddl_connection(self_ptr self);
checkpoint_mark downstream_mark(const syncer_actor_state& st, const relay_key& safe_until);
relay_key idle_mark(const syncer_actor_state& st);
caf::error write_checkpoint_row(self_ptr self, const relay_key& safe_until);

// Rows event flag: the statement ran with foreign_key_checks = 0.
constexpr uint16_t no_foreign_key_checks_flag = 0x02;

// Errors of DDL that was applied already; skipped while replaying in safe mode.
bool is_already_applied(unsigned errnum) {
  switch (errnum) {
    case ER_DB_CREATE_EXISTS:
    case ER_DB_DROP_EXISTS:
    case ER_TABLE_EXISTS_ERROR:
    case ER_BAD_TABLE_ERROR:
    case ER_DUP_FIELDNAME:
    case ER_DUP_KEYNAME:
    case ER_CANT_DROP_FIELD_OR_KEY:
    case ER_NO_SUCH_TABLE:
      return true;
    default:
      return false;
  }
}

bool safe_mode_active(const syncer_actor_state& st) {
  return st.instance.syncer.safe_mode || st.cursor < st.safe_until;
}

binlog_position position_of(const syncer_actor_state& st, const relay_key& key) {
  return {st.current_file, key.offset};
}

// Whether the decision carried out in this run is behind the checkpoint (which, once saved, lets
// it be forgotten).
// (While shard DDL locks hold tables the stored checkpoint is further back, but the replay plan
// stored with it passes over the decision's event: it is applied.)
bool decision_passed(const syncer_actor_state& st) {
  return st.decision && st.decision_done && st.decision->key < st.checkpoint.next;
}

// Stores the replay plan of shard DDL locks' holds (before the checkpoint it goes with, so a
// stored checkpoint never has an older plan), and answers the checkpoint to store (where the
// first hold began, while any lasts) and whether a stored plan is to be erased once it is
// stored (synced: a plan is never gone while a checkpoint in its region is the stored one).
// The shard DDL lock hold that began first, or null.
const syncer_actor_state::shard_hold* first_hold(const syncer_actor_state& st) {
  const syncer_actor_state::shard_hold* first = nullptr;
  for (auto& [table, hold] : st.shard_holds)
    if (!first || hold.before.next < first->before.next) first = &hold;
  return first;
}

caf::expected<std::pair<storage::sync_checkpoint, bool>> store_replay_plan(
    syncer_actor_state& st) {
  std::map<upstream_table, relay_key> starts;
  for (auto& [table, hold] : st.shard_holds) starts[table] = hold.start;
  auto* first = first_hold(st);
  auto plan = next_replay_plan(starts, st.checkpoint.next, st.replay);
  if (plan) {
    auto id = replay_plan_id(st.task_name, st.source.source_id);
    if (auto err = st.db_meta->put(replay_plan_kind, id, to_json(*plan))) return err;
    st.replay_stored = true;
  }
  auto stored = st.checkpoint;
  if (first) {
    stored.next = first->before.next;
    stored.position = first->before.position;
    stored.gtid_set = first->before.gtid_set;
  }
  return std::make_pair(stored, !plan && st.replay_stored);
}

caf::error persist_checkpoint(self_ptr self, bool sync) {
  auto& st = self->state;
  st.checkpoint_dirty = false;
  auto stored = store_replay_plan(st);
  if (!stored) return stored.error();
  auto& [checkpoint, erase_plan] = *stored;
  if (auto err = st.checkpoints->save_sync(st.task_name, st.source.source_id, checkpoint,
                                           sync || erase_plan))
    return err;
  if (erase_plan) {
    if (auto err = st.db_meta->erase(replay_plan_kind,
                                     replay_plan_id(st.task_name, st.source.source_id)))
      return err;
    st.replay_stored = false;
  }
  if (decision_passed(st)) {
    if (auto err = clear_decision(*st.db_meta, st.task_name, st.source.source_id)) return err;
    st.decision.reset();
    st.decision_done = false;
  }
  return caf::none;
}

sync_progress make_progress(const syncer_actor_state& st) {
  sync_progress p;
  p.synced = st.checkpoint.position;
  p.synced_gtid = st.checkpoint.gtid_set;
  p.relay = st.relay_head.relay;
  // Changes a shard DDL lock holds are not applied yet, however far the cursor is.
  p.caught_up = st.started && !(st.cursor < st.relay_head.head) && st.dispatch->idle() &&
                st.shard_holds.empty() && !st.replay_pending &&
                st.relay_head.upstream_confirmed && st.relay_head.relay == st.relay_head.upstream;
  p.events_applied = st.events_applied;
  p.rows_applied = st.rows_applied;
  p.safe_mode = safe_mode_active(st);
  p.last_event_time = st.checkpoint_event_time;
  p.bytes_in_flight = st.dispatch->bytes_in_flight();
  p.keyless_tables.assign(st.keyless_tables.begin(), st.keyless_tables.end());
  return p;
}

meta_scope mark_scope(const syncer_actor_state& st) {
  return {st.task.meta_schema, st.task_name, st.source.source_id};
}

void report(self_ptr self) { self->send(self->state.parent, progress_atom_v, make_progress(self->state)); }

// Moves the in-memory checkpoint to the newest boundary whose changes all committed.
void advance_checkpoint(self_ptr self) {
  auto& st = self->state;
  if (auto safe = st.dispatch->take_safe()) {
    st.checkpoint.next = safe->next;
    st.checkpoint.position = safe->position;
    st.checkpoint.gtid_set = safe->gtid_set;
    st.checkpoint_event_time = safe->event_time;
    st.checkpoint_dirty = true;
    st.metric.file->set(safe->next.file_index);
    st.metric.pos->set(safe->position.pos);
  }
  // A decision carried out is forgotten as soon as a checkpoint past it is on disk.
  if (decision_passed(st))
    if (auto err = persist_checkpoint(self, true))
      DM_WARN("{} could not save its checkpoint past the operator's decision (retried with the "
              "next one): {}", st.label, describe(err));
}

// Saves the checkpoint as the syncer stops. A stop is clean when nothing is in flight and the
// checkpoint has passed the safe-mode window an earlier unclean stop left; otherwise the next run
// replays in safe mode. A run that stops before replaying that window (say, the downstream is
// still down) keeps it open. The window need not go past what this run dispatched, which is
// tighter than the high-water mark (nor short of the inherited window).
void save_stop_checkpoint(self_ptr self) {
  auto& st = self->state;
  if (!st.started) return;
  advance_checkpoint(self);
  // The next run starts where the first hold began: it replays in safe mode as well.
  bool in_flight = !st.dispatch->idle() || st.rows_active || !st.shard_holds.empty();
  bool window_open = st.checkpoint.next < st.safe_until;
  st.checkpoint.clean_stop = !in_flight && !window_open;
  if (!st.checkpoint.clean_stop) {
    auto dispatched = st.cursor;
    if (st.rows_active) dispatched = {st.rows_origin.segment, st.rows_origin.file_index,
                                      st.rows_origin.offset + 1};
    auto end = std::max(dispatched, st.safe_until);
    if (end < st.checkpoint.safe_until) st.checkpoint.safe_until = end;
  }
  if (auto err = persist_checkpoint(self, true))
    DM_ERROR("{} could not save its checkpoint: {}", st.label, describe(err));
  if (!in_flight)
    if (auto err = write_checkpoint_row(self, idle_mark(st)))
      DM_WARN("{} could not write its checkpoint downstream as it stopped (another worker "
              "taking the task over replays from an earlier one): {}", st.label, describe(err));
}

// The last step of a stop: the appliers ended (or did not in time), every acknowledgement they
// sent is counted; the checkpoint is saved and the syncer ends.
void finish_stop(self_ptr self) {
  auto& st = self->state;
  save_stop_checkpoint(self);
  self->quit(st.stop_reason);
}

// Ends the syncer with `reason`: nothing more is dispatched, the appliers end after the batches
// they hold (a transaction under way commits or fails before the next syncer of the part reads
// the apply marks downstream, so it cannot apply a change twice), then finish_stop; after
// defaults::applier_stop_grace it ends without them.
void stop_syncer(self_ptr self, caf::error reason) {
  auto& st = self->state;
  if (st.stopping) return;
  st.stopping = true;
  st.stop_reason = std::move(reason);
  st.stop_deadline = std::chrono::steady_clock::now() + defaults::applier_stop_grace;
  st.appliers_running = st.appliers.size();
  if (st.appliers.empty()) return finish_stop(self);
  self->set_down_handler([=](caf::down_msg&) {
    if (--self->state.appliers_running == 0) finish_stop(self);
  });
  for (auto& a : st.appliers) {
    self->monitor(a);
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
}

// Stops the syncer because of the event at `key`: the task learns where, for query-status and
// handle-error.
void fail_at(self_ptr self, const relay_key& key, caf::error err) {
  auto& st = self->state;
  auto p = make_progress(st);
  p.failed = true;
  p.failed_key = key;
  p.failed_position = position_of(st, key);
  self->send(st.parent, progress_atom_v, std::move(p));
  DM_WARN("{} stopped at {}: {}", st.label, to_string(position_of(st, key)), describe(err));
  stop_syncer(self, std::move(err));
}

void fail(self_ptr self, caf::error err) {
  DM_WARN("{} stopped: {}", self->state.label, describe(err));
  stop_syncer(self, std::move(err));
}

void schedule_pump(self_ptr self) {
  auto& st = self->state;
  if (st.pump_scheduled || !st.started || st.stopping) return;
  st.pump_scheduled = true;
  self->send(self, pump_atom_v);
}


// The checkpoint as written downstream, with `safe_until` as its high-water mark: where the
// first shard DDL lock hold began while any lasts (the replay plan that lets the local
// checkpoint pass over held tables stays on this worker).
checkpoint_mark downstream_mark(const syncer_actor_state& st, const relay_key& safe_until) {
  if (auto* first = first_hold(st))
    return {first->before.next, first->before.position, first->before.gtid_set, safe_until};
  return {st.checkpoint.next, st.checkpoint.position, st.checkpoint.gtid_set, safe_until};
}

// The mark of the syncer's row while nothing is in flight: the checkpoint, or the end of the
// replay window this run inherited while it lasts.
relay_key idle_mark(const syncer_actor_state& st) {
  return std::max(st.safe_until, downstream_mark(st, {}).next);
}

// Writes the syncer's own row of the checkpoint downstream, with `safe_until` as its mark
// (downstream_checkpoint.hpp); in a cluster in a transaction that checks the fence first.
caf::error write_checkpoint_row(self_ptr self, const relay_key& safe_until) {
  auto& st = self->state;
  if (auto err = ensure_meta_tables(self)) return err;
  auto conn = ddl_connection(self);
  if (!conn) return conn.error();
  auto row = checkpoint_row_sql(mark_scope(st), st.source.cluster_epoch, syncer_writer,
                                st.checkpoint.run, downstream_mark(st, safe_until));
  caf::error err;
  if (st.source.cluster_epoch == 0) {
    err = (*conn)->execute(row);
  } else {
    err = (*conn)->execute("BEGIN");
    if (!err)
      err = check_fence(**conn, mark_scope(st), syncer_writer, st.source.cluster_epoch, true);
    if (!err) err = (*conn)->execute(row);
    if (!err) err = (*conn)->execute("COMMIT");
  }
  if (err) {
    st.ddl_conn.reset();
    return err;
  }
  st.downstream_row_at = std::chrono::steady_clock::now();
  st.downstream_row_next = downstream_mark(st, safe_until).next;
  return caf::none;
}

// Writes the syncer's row when the syncer is idle (nothing in flight, so the downstream just
// answered) and the checkpoint moved since the row was written, trying at most once per
// defaults::downstream_checkpoint_interval: a checkpoint that only filtered events moved is then
// not lost on another worker. A failure waits for the next chance.
void refresh_checkpoint_row(self_ptr self) {
  auto& st = self->state;
  if (!st.started || !st.dispatch->idle() || st.rows_active ||
      st.downstream_row_next == downstream_mark(st, {}).next ||
      std::chrono::steady_clock::now() - st.downstream_row_at <
          defaults::downstream_checkpoint_interval)
    return;
  // Tried at most once per interval, however it ends (a downstream that does not answer blocks
  // for its connect timeout).
  st.downstream_row_at = std::chrono::steady_clock::now();
  if (auto err = write_checkpoint_row(self, idle_mark(st)))
    DM_DEBUG("{} could not write its checkpoint downstream (tried again later): {}", st.label,
             describe(err));
}

// Sends batches to their appliers. Before the first change beyond the persisted high-water
// mark leaves, the mark moves past the relay head and reaches the disk. Each batch carries the
// checkpoint downstream, with a mark just past its last event (downstream_checkpoint.hpp).
caf::error send(self_ptr self, std::vector<std::pair<uint32_t, job_batch>> batches) {
  auto& st = self->state;
  if (batches.empty()) return caf::none;
  if (auto err = ensure_meta_tables(self)) return err;
  if (auto mark = raise_high_water(st.cursor, st.checkpoint.safe_until, st.relay_head.head,
                                   defaults::high_water_step)) {
    st.checkpoint.safe_until = *mark;
    if (auto err = persist_checkpoint(self, true)) return err;
  }
  for (auto& [a, batch] : batches) {
    batch.run = st.checkpoint.run;
    relay_key last;
    for (auto& job : batch.jobs) last = std::max(last, job.origin.event);
    // Never below the replay window this run inherited (its start row carries it).
    batch.mark = downstream_mark(
        st, std::max(relay_key{last.segment, last.file_index, last.offset + 1}, st.safe_until));
    self->send(st.appliers[a], apply_atom_v, std::move(batch));
  }
  st.metric.bytes_in_flight->set(static_cast<double>(st.dispatch->bytes_in_flight()));
  return caf::none;
}

// The causality keys of a change: its group's one key, or its primary and unique key values.
void change_keys(const syncer_actor_state& st, const binlog::row_change& change,
                 std::vector<std::string>& keys) {
  keys.clear();
  if (st.rows_group) {
    keys.push_back(serial_group_key(*st.rows_group));
    return;
  }
  append_causality_keys(*st.rows_schema, st.rows_target, change.before, keys);
  append_causality_keys(*st.rows_schema, st.rows_target, change.after, keys);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
}

// Dispatches the rows of the current rows event from row_index on. False when dispatch must
// wait (credits, memory budget or a key conflict); it then resumes at the same row.
caf::expected<bool> dispatch_rows(self_ptr self) {
  auto& st = self->state;
  std::vector<std::string> keys;
  for (; st.row_index < st.rows.size(); ++st.row_index) {
    auto& change = st.rows[st.row_index];
    change_keys(st, change, keys);
    row_job job;
    job.schema = st.rows_schema;
    job.target = st.rows_target;
    job.kind = st.rows_kind;
    // A serial group is applied exactly once (its marks), never in safe mode.
    job.safe = !st.rows_group && safe_mode_active(st);
    job.serial_group = st.rows_group;
    job.fk_table = st.rows_fk_table;
    job.fk_checks = st.rows_fk_table && st.rows_fk_checks;
    job.origin = {st.rows_origin, static_cast<uint32_t>(st.row_index)};
    job.before = std::move(change.before);
    job.after = std::move(change.after);
    auto verdict = st.dispatch->offer(job, keys);
    if (verdict == dispatcher::verdict::taken) {
      if (auto err = send(self, st.dispatch->take_sendable(false))) return err;
      continue;
    }
    if (verdict == dispatcher::verdict::skipped) {
      if (job.origin.row == 0)
        DM_INFO("{} skips changes to {} at {}: applied before the last stop", st.label,
                st.rows_target, to_string(st.rows_origin));
      continue;
    }
    // Waiting: the change stays where it was, to be offered again.
    change.before = std::move(job.before);
    change.after = std::move(job.after);
    if (verdict == dispatcher::verdict::wait_credit) {
      st.holding = hold::credit;
    } else {
      if (auto err = send(self, st.dispatch->take_sendable(true))) return err;
      st.holding = verdict == dispatcher::verdict::wait_conflict ? hold::conflict : hold::memory;
    }
    return false;
  }
  return true;
}

caf::expected<mysql_connection*> ddl_connection(self_ptr self) {
  auto& st = self->state;
  if (!st.ddl_conn) {
    auto conn = open_downstream_session(to_connection_params(st.task.target_database),
                                        "downstream of task " + st.task_name);
    if (!conn) return conn.error();
    st.ddl_conn.emplace(std::move(*conn));
  }
  return &*st.ddl_conn;
}

// What the upstream's collation ids and defaults mean, read from the upstream once per run.
caf::expected<const upstream_session_facts*> upstream_facts(self_ptr self) {
  auto& st = self->state;
  if (!st.session_facts) {
    auto conn = mysql_connection::open(to_connection_params(st.source.from), server_role::upstream,
                                       "upstream of source " + st.source.source_id);
    if (!conn) return conn.error();
    auto facts = read_session_facts(*conn);
    if (!facts) return facts.error();
    st.session_facts = std::move(*facts);
  }
  return &*st.session_facts;
}

// The session of query event `q` (ddl_session.hpp).
caf::expected<event_session> session_of_event(self_ptr self, const binlog::query_event& q,
                                              uint32_t timestamp) {
  auto facts = upstream_facts(self);
  if (!facts) return facts.error();
  return session_of(q.status, timestamp, self->state.decoder.format().is_mariadb(), **facts);
}

// The statements of a schema change from the binlog as they run downstream: as planned, or under
// collation_compatible strict with each character set's collation named (pinned_collations.hpp).
caf::expected<std::vector<std::string>> as_run(self_ptr self,
                                               const std::vector<std::string>& statements,
                                               const sql::lexer_mode& mode) {
  if (!self->state.task.strict_collations) return statements;
  auto facts = upstream_facts(self);
  if (!facts) return facts.error();
  std::vector<std::string> out;
  for (auto& s : statements)
    out.push_back(sql::pin_default_collations(s, (*facts)->default_collations, mode));
  return out;
}

// Runs statements on the DDL connection (after USE `use_db`, when the database exists), in
// `session` when given (then back in the appliers' session after).
// REQUIRES: every applier drained.
caf::error run_downstream(self_ptr self, const std::string& use_db,
                          const std::vector<std::string>& statements, const std::string& what,
                          const binlog_position& at,
                          const std::optional<event_session>& session = std::nullopt) {
  auto& st = self->state;
  st.ddl_errno = 0;
  auto conn = ddl_connection(self);
  if (!conn) return conn.error();
  if (session) {
    if (auto err = set_event_session(**conn, *session, st.label)) {
      st.ddl_conn.reset();
      return make_error(code_of(err), describe(err) + " (setting the session of the " + what +
                                          " at " + to_string(at) + ")");
    }
  }
  if (!use_db.empty()) {
    std::string use = "USE ";
    sql::append_identifier(use, use_db);
    if (auto err = (*conn)->execute(use)) {
      // CREATE DATABASE issued while its own name was the default database, and the like.
      if ((*conn)->last_errno() != ER_BAD_DB_ERROR) {
        st.ddl_conn.reset();
        return err;
      }
    }
  }
  for (auto& statement : statements) {
    if (auto err = (*conn)->execute(statement)) {
      auto errnum = (*conn)->last_errno();
      st.ddl_errno = errnum;
      // A merged shard change is planned again instead (apply_ddl): it may be half of it.
      bool merged_race = st.plan.ddl.merges_shards &&
                         (errnum == ER_DUP_FIELDNAME || errnum == ER_DUP_KEYNAME);
      if (safe_mode_active(st) && is_already_applied(errnum) && !merged_race) {
        DM_INFO("{} finds {} at {} applied already: {}", st.label, what, to_string(at),
                describe(err));
        continue;
      }
      st.ddl_conn.reset();
      if (is_resumable(err)) return err;
      return make_error(code_of(err), describe(err) + " (" + what + " at " + to_string(at) +
                                          ": " + excerpt(statement) + ")");
    }
  }
  st.schemas->invalidate();
  if (session)
    if (auto err = restore_applier_session(**conn)) {
      st.ddl_conn.reset();
      return err;
    }
  return caf::none;
}

// Creates the meta tables downstream, once per run, before the first change leaves.
caf::error ensure_meta_tables(self_ptr self) {
  auto& st = self->state;
  if (st.meta_tables_ready) return caf::none;
  auto conn = ddl_connection(self);
  if (!conn) return conn.error();
  auto statements = meta_tables_ddl(st.task.meta_schema);
  // Marks of other runs (a stopped task of the same name) are of no use to anyone.
  for (auto* table : {"apply_marks", "sync_checkpoints"})
    statements.push_back("DELETE FROM " + meta_table(st.task.meta_schema, table) +
                         scope_condition(mark_scope(st)) + " AND run <> " +
                         std::to_string(st.checkpoint.run));
  for (auto& statement : statements)
    if (auto err = (*conn)->execute(statement)) {
      st.ddl_conn.reset();
      return err;
    }
  st.meta_tables_ready = true;
  return caf::none;
}

caf::error checkpoint_before_ddl(self_ptr self, const relay_key& key);
caf::error plan_decoded(self_ptr self, const relay_key& key);

// Runs the operator's decision about the event at `key` (its plan's step): skips it, runs the
// replacement, or runs inject's statements and forgets the decision (the event is then planned
// again without it).
caf::error run_decision(self_ptr self, const relay_key& key) {
  auto& st = self->state;
  auto at = position_of(st, key);
  if (auto err = checkpoint_before_ddl(self, key)) return err;
  bool inject = st.plan.what == step::operator_inject;
  if (st.plan.what != step::operator_skip)
    if (auto err = run_downstream(self, "", st.plan.ddl.statements,
                                  inject ? "binlog inject" : "handle-error replace", at))
      return err;
  if (inject) {
    // Carried out in full: forgotten at once, so that a stop before the event itself is applied
    // runs the event again, not the operator's statements.
    if (auto err = clear_decision(*st.db_meta, st.task_name, st.source.source_id)) return err;
    DM_INFO("{} ran the operator's statements before the event at {}", st.label, to_string(at));
    st.decision.reset();
    st.decision_done = false;
    return caf::none;
  }
  DM_INFO("{} {} the event at {} as the operator decided", st.label,
          st.plan.what == step::operator_skip ? "skipped" : "replaced", to_string(at));
  st.decision_done = true;
  return caf::none;
}

// Before a schema change at `key` runs downstream: everything before it is applied, so that
// becomes the checkpoint (a crash cannot make rows of the old structure replay onto the new
// one), and the high-water mark covers the change, so that a replay after a crash in the middle
// of it finds what it did already applied instead of failing.
caf::error checkpoint_before_ddl(self_ptr self, const relay_key& key) {
  auto& st = self->state;
  advance_checkpoint(self);
  relay_key past{key.segment, key.file_index, key.offset + 1};
  if (st.checkpoint.safe_until < past) st.checkpoint.safe_until = past;
  if (auto err = persist_checkpoint(self, true)) return err;
  // In a cluster this also checks the fence, just before the change (which is not
  // transactional: downstream_fence.hpp).
  return write_checkpoint_row(self, past);
}

// Applies the schema change of query event `q` at `key` (its plan's ddl).
caf::error run_ddl(self_ptr self, const binlog::query_event& q, const relay_key& key) {
  auto& st = self->state;
  auto at = position_of(st, key);
  if (auto err = checkpoint_before_ddl(self, key)) return err;
  auto session = session_of_event(self, q, st.decoded->view.header.timestamp);
  if (!session) return session.error();
  auto what = sql::to_string(st.plan.ddl.kind);
  auto statements = as_run(self, st.plan.ddl.statements, lexer_mode_of(q.status.sql_mode));
  if (!statements) return statements.error();
  if (auto err = run_downstream(self, st.plan.ddl.use_db, *statements, what, at, *session))
    return err;
  DM_INFO("{} applied {} at {}", st.label, what, to_string(at));
  return caf::none;
}

// Applies the schema change of `q` at `key` (its plan's ddl). A shard's change merged into a table
// that another part (another source's syncer) changed between reading it and changing it fails
// on what that part added; it is planned again against the table as it now is.
caf::error apply_ddl(self_ptr self, const binlog::query_event& q, const relay_key& key) {
  auto& st = self->state;
  for (int attempt = 1;; ++attempt) {
    auto err = run_ddl(self, q, key);
    bool raced = st.ddl_errno == ER_DUP_FIELDNAME || st.ddl_errno == ER_DUP_KEYNAME;
    if (!err || !st.plan.ddl.merges_shards || !raced || attempt == 3) return err;
    DM_INFO("{} plans {} at {} again: the merged table changed meanwhile ({})", st.label,
            sql::to_string(st.plan.ddl.kind), to_string(position_of(st, key)), describe(err));
    if (auto replan = plan_decoded(self, key)) return replan;
    if (st.plan.what == step::fail)
      return make_error(ec::invalid_state, st.label + ": " + st.plan.reason + " (at " +
                                               to_string(position_of(st, key)) + ")");
    if (st.plan.what != step::apply_ddl) {
      // Nothing left to apply.
      DM_INFO("{} skips {} at {}: {}", st.label, sql::to_string(st.plan.ddl.kind),
              to_string(position_of(st, key)), st.plan.reason);
      return caf::none;
    }
  }
}

// Stores the change of an online schema change's shadow table at `key` (its plan's
// shadow_record), with the session it ran in: the swap applies it to the real table.
caf::error record_shadow(self_ptr self, const binlog::query_event& q, const relay_key& key) {
  auto& st = self->state;
  auto& m = *st.plan.shadow_record;
  for (auto& alter : m.alters) {
    if (alter.at != key) continue;
    auto session = session_of_event(self, q, st.decoded->view.header.timestamp);
    if (!session) return session.error();
    alter.session = std::move(*session);
  }
  if (auto err = save_shadow_migration(*st.db_meta, st.task_name, st.source.source_id, m))
    return err;
  DM_INFO("{} records {} at {} for the online schema change of {}.{} (shadow table {}): {}",
          st.label, sql::to_string(st.plan.ddl.kind), to_string(position_of(st, key)), m.db,
          m.real, m.shadow, excerpt(q.query, 120));
  st.migrations[shadow_key(m.db, m.shadow)] = std::move(m);
  return caf::none;
}

// Runs a statement about online schema changes' tables at `key`: at a swap, the shadow's
// recorded changes on the real table, each in its own session; then the statement's other
// tables (its plan's ddl).
caf::error run_online_ddl(self_ptr self, const binlog::query_event& q, const relay_key& key) {
  auto& st = self->state;
  auto at = position_of(st, key);
  if (auto err = checkpoint_before_ddl(self, key)) return err;
  for (auto& alter : st.plan.shadow_alters) {
    auto statements = as_run(self, alter.ddl.statements, alter.mode);
    if (!statements) return statements.error();
    if (auto err = run_downstream(self, alter.ddl.use_db, *statements,
                                  "an online schema change's ALTER", at, alter.session))
      return err;
    // Counted at once: a swap run again (after a failure further on, or a crash) goes on after
    // it rather than running it twice.
    auto& m = st.migrations.at(alter.migration);
    m.applied = alter.index + 1;
    if (auto err = save_shadow_migration(*st.db_meta, st.task_name, st.source.source_id, m))
      return err;
    DM_INFO("{} applied an online schema change at its swap at {}: {}", st.label, to_string(at),
            excerpt(alter.ddl.statements.front(), 120));
  }
  if (st.plan.ddl.what == ddl_plan::action::apply) return run_ddl(self, q, key);
  return caf::none;
}

// Forgets the online schema changes that ended at the event just processed (swapped in or
// dropped). After a swap this runs once the checkpoint is past it: a replay of the swap still
// finds the changes to apply.
caf::error forget_shadows(self_ptr self) {
  auto& st = self->state;
  for (auto& key : st.plan.shadows_finished) {
    if (auto err = erase_shadow_migration(*st.db_meta, st.task_name, st.source.source_id, key))
      return err;
    st.migrations.erase(key);
  }
  return caf::none;
}

// The key of upstream table db.table in shard holds, replay plans and locks: as the rules compare
// names (without case unless the source is case-sensitive), so that a statement's spelling, the
// binlog's table maps and information_schema agree.
upstream_table shard_key(const syncer_actor_state& st, const std::string& db,
                         const std::string& table) {
  if (st.source.case_sensitive) return {db, table};
  return {ascii_lower(db), ascii_lower(table)};
}

// Decodes the rows of rows event `rows` (of `table`) going to `target` and makes them the rows
// to dispatch.
caf::error prepare_rows(self_ptr self, const binlog::rows_event& rows,
                        const binlog::table_map_event& table,
                        const std::pair<std::string, std::string>& target, const relay_key& key) {
  auto& st = self->state;
  auto schema = st.schemas->resolve(table, target.first, target.second,
                                    st.rules->extracted_columns(table.db, table.table));
  if (!schema) return schema.error();
  auto legacy = schema_resolver::with_legacy_fsp(table, **schema);
  auto changes = binlog::decode_rows(rows, legacy ? *legacy : table);
  if (!changes)
    return make_error(code_of(changes.error()), st.label + ": relay event at " +
                                                    to_string(position_of(st, key)) + ": " +
                                                    describe(changes.error()));
  restore_binary_padding(**schema, *changes);
  auto fk_group = st.schemas->fk_group(target.first, target.second);
  if (!fk_group) return fk_group.error();
  auto quoted_target = sql::qualified_name(target.first, target.second);
  bool keyless = (*schema)->identity_key().empty();
  if (keyless) st.keyless_tables.insert(table.db + "." + table.table);
  st.rows_fk_table = !fk_group->empty();
  st.rows_fk_checks = !(rows.flags & no_foreign_key_checks_flag);
  st.rows_group.reset();
  if (st.rows_fk_table) {
    // Rows a replay applies after their group went on would be taken as applied by its mark.
    if (st.replay && st.replay->from.count(shard_key(st, table.db, table.table)) &&
        key < st.replay->until)
      return make_error(ec::unsupported,
                        st.label + ": " + sql::qualified_name(table.db, table.table) + " at " +
                            to_string(position_of(st, key)) + " is replayed after a shard DDL "
                            "lock, but its merged table is now linked by foreign keys (applied in "
                            "one order across the tables they link); use shard-mode optimistic "
                            "for this task");
    st.rows_group = std::make_shared<const std::string>(std::move(*fk_group));
  } else if (keyless && st.task.shard_mode == "pessimistic" &&
             st.rules->is_shard(table.db, table.table)) {
    // A held shard's changes are applied later than its sibling shards': each shard keeps its
    // own apply mark (their rows differ downstream, so their order does not matter).
    st.rows_group = std::make_shared<const std::string>(
        quoted_target + " from " + sql::qualified_name(table.db, table.table));
  } else if (keyless) {
    st.rows_group = std::make_shared<const std::string>(quoted_target);
  }
  st.rows = std::move(*changes);
  st.row_index = 0;
  st.rows_schema = std::move(*schema);
  st.rows_target = std::move(quoted_target);
  st.rows_kind = rows.kind;
  st.rows_origin = key;
  st.rows_active = true;
  return caf::none;
}

// Names the upstream file of the event at `key`. Files change at rotate events, but also where
// the upstream restarted (a stop event, then a rotate the server makes up and the relay does
// not store): the relay's index knows.
caf::error follow_file(syncer_actor_state& st, const relay_key& key) {
  if (key.file_index == st.current_file_index) return caf::none;
  auto name = st.relay->file_name(key.segment, key.file_index);
  if (!name) return name.error();
  if (!*name)
    return make_error(ec::storage_failed, st.label + ": the relay log has no file name for file "
                                                     "index " +
                                              std::to_string(key.file_index));
  st.current_file = **name;
  st.current_file_index = key.file_index;
  return caf::none;
}

// Whether checkpoint `cp` is past the event `d` is about (by its key, or for one made ahead by its
// position: its key is known only once the syncer reached it).
bool decision_behind(const operator_decision& d, const storage::sync_checkpoint& cp) {
  if (d.at.empty()) return d.key < cp.next;
  return comes_before(d.at, cp.position);
}

// A decision made ahead (binlog -b) takes the key of the event that starts at its position. An
// event past that position before one starting there means none does: the syncer stops rather
// than go on without the operator's decision.
caf::error place_decision(syncer_actor_state& st, const relay_key& key) {
  if (!st.decision || st.decision_done || st.decision->at.empty() || st.decision->key == key)
    return caf::none;
  auto here = position_of(st, key);
  auto& at = st.decision->at;
  if (here == at) {
    st.decision->key = key;
    return caf::none;
  }
  if (comes_before(at, here))
    return make_error(ec::invalid_state,
                      st.label + ": binlog " + to_string(st.decision->action) + " -b " +
                          to_string(at) + ": no event starts at that position (the syncer "
                          "reached " + to_string(here) + "); binlog revert it, then give the "
                          "start position of an event (SHOW BINLOG EVENTS on the upstream)");
  return caf::none;
}

// Reads the definition of downstream table `table` before the schema change being planned into
// st.definitions (empty when the table does not exist there).
caf::error describe_table(self_ptr self, const std::pair<std::string, std::string>& table) {
  auto& st = self->state;
  auto conn = ddl_connection(self);
  if (!conn) return conn.error();
  auto definition = load_table_definition(**conn, table.first, table.second);
  if (!definition) {
    st.ddl_conn.reset();
    return definition.error();
  }
  st.definitions[table] = std::move(*definition);
  return caf::none;
}

// Plans the decoded event at `key` (st.plan), with the operator's decision about it unless
// carried out, reading the downstream definitions its filters need (step describe_table).
caf::error plan_decoded(self_ptr self, const relay_key& key) {
  auto& st = self->state;
  auto* decision = st.decision && !st.decision_done ? &*st.decision : nullptr;
  event_context context{key,        &*st.rules,     decision,        &st.table_starts,
                        &st.online, &st.migrations, &st.definitions,
                        st.task.shard_mode == "optimistic"    ? shard_ddl::optimistic
                        : st.task.shard_mode == "pessimistic" ? shard_ddl::pessimistic
                                                              : shard_ddl::plain};
  st.plan = plan_event(*st.decoded, context);
  while (st.plan.what == step::describe_table) {
    if (auto err = describe_table(self, st.plan.ddl.described)) {
      st.decoded.reset();  // planned again when retried
      return err;
    }
    st.plan = plan_event(*st.decoded, context);
  }
  st.definitions.clear();
  return caf::none;
}

// Asks the shard coordinator, waiting for its answer (the syncer's thread is its own): the
// reply, for requests that answer one (`on_reply` keeps it), or only that it was done.
template <class OnReply, class... Ts>
caf::error ask_coordinator(self_ptr self, OnReply on_reply, Ts&&... xs) {
  caf::scoped_actor asker{self->system()};
  caf::error out;
  asker
      ->request(self->state.coordinator, defaults::shard_coordinator_timeout,
                std::forward<Ts>(xs)...)
      .receive(on_reply, [&](caf::error& err) {
        // The coordinator's own errors say what is wrong; CAF's mean it did not answer.
        out = err.category() == error_category
                  ? std::move(err)
                  : make_error(ec::unavailable, self->state.label + ": the worker's shard DDL "
                                                                    "locks did not answer: " +
                                                    describe(err));
      });
  return out;
}

// What becomes of the event being processed because of shard DDL locks.
enum class shard_fate {
  process,
  // Its tables are held (it is replayed once their lock resolves), or it was applied before
  // this run (the replay plan).
  pass_over,
  // A statement naming held or replayed shards together with tables that go on: its parts
  // cannot stay in order with both.
  refuse,
};

shard_fate fate_under_shard_locks(const syncer_actor_state& st, const relay_key& key) {
  if (st.shard_holds.empty() && !st.replay) return shard_fate::process;
  const auto& body = st.decoded->body;
  std::vector<upstream_table> tables;
  if (std::holds_alternative<binlog::rows_event>(body)) {
    if (st.decoded->table)
      tables.push_back(shard_key(st, st.decoded->table->db, st.decoded->table->table));
  } else if (std::holds_alternative<binlog::query_event>(body)) {
    for (auto& [db, table] : st.plan.ddl.tables_named) tables.push_back(shard_key(st, db, table));
    // A statement about no table (a database's), or transaction control.
    if (tables.empty())
      return st.replay && !st.replay->processes_untabled(key) ? shard_fate::pass_over
                                                              : shard_fate::process;
  } else {
    return shard_fate::process;
  }
  size_t held = 0, applied = 0;
  for (auto& t : tables) {
    if (st.shard_holds.count(t)) ++held;
    else if (st.replay && !st.replay->processes(t, key)) ++applied;
  }
  if (held + applied == 0) return shard_fate::process;
  if ((held == tables.size() || applied == tables.size())) return shard_fate::pass_over;
  return shard_fate::refuse;
}

// Tables linked by foreign keys are applied exactly once, in binlog order across their whole
// group (apply marks): a shard's changes cannot wait while its group goes on. So a merged table
// in a foreign-key group, or a lock change that adds a foreign key, stops the part (before the
// shard arrives at the lock).
caf::error refuse_foreign_keys_in_lock(self_ptr self, const shard_arrival& arrival,
                                       const binlog::query_event& q, const std::string& at) {
  auto& st = self->state;
  auto refusal = [&](const std::string& why) {
    return make_error(ec::unsupported,
                      st.label + ": shard-mode pessimistic cannot hold the changes of " +
                          sql::qualified_name(arrival.member.db, arrival.member.table) + " (at " +
                          at + "): " + why + ", whose changes are applied in one order across "
                          "the tables they link; use shard-mode optimistic for this task");
  };
  auto routed = st.rules->route(arrival.member.db, arrival.member.table);
  if (!routed) return routed.error();
  auto fk_group = st.schemas->fk_group(routed->first, routed->second);
  if (!fk_group) return fk_group.error();
  if (!fk_group->empty())
    return refusal("its merged table " + arrival.target + " is linked by foreign keys");
  for (auto& token : sql::tokenize(q.query, lexer_mode_of(q.status.sql_mode)))
    if (token.type == sql::token::kind::word && ascii_upper(token.text) == "REFERENCES")
      return refusal("the change adds a foreign key to merged table " + arrival.target);
  return caf::none;
}

// shard-mode pessimistic: the shard's change `q` at `key` joins the DDL lock of its merged
// table (its plan's lock_target). The coordinator's verdict: hold the table's later changes
// (wait), run the change now (this shard completes the lock), pass it over (its lock resolved
// already: a replay), or stop on it (it differs from the lock's change).
caf::error join_shard_lock(self_ptr self, const binlog::query_event& q, const relay_key& key) {
  auto& st = self->state;
  auto at = to_string(position_of(st, key));
  shard_arrival arrival;
  arrival.task = st.task_name;
  for (auto& inst : st.task.mysql_instances) arrival.task_sources.push_back(inst.source_id);
  arrival.target = st.plan.ddl.lock_target;
  arrival.ddl = comparable_ddl(st.plan.ddl.statements, lexer_mode_of(q.status.sql_mode));
  for (auto& statement : st.plan.ddl.statements)
    arrival.statement += (arrival.statement.empty() ? "" : "; ") + statement;
  auto member_key = shard_key(st, st.plan.ddl.shard_table.first, st.plan.ddl.shard_table.second);
  arrival.member = {st.source.source_id, member_key.first, member_key.second};
  // Upstream file names repeat after the upstream is switched (a new relay segment).
  arrival.position = key.segment ? at + " (relay segment " + std::to_string(key.segment) + ")" : at;
  auto shard = sql::qualified_name(arrival.member.db, arrival.member.table);
  if (auto err = refuse_foreign_keys_in_lock(self, arrival, q, at)) return err;
  // Everything before the change is applied (it is a barrier): a hold begins here.
  advance_checkpoint(self);
  std::optional<shard_verdict> verdict;
  if (auto err = ask_coordinator(
          self, [&](shard_verdict& v) { verdict = std::move(v); }, shard_ddl_atom_v, arrival))
    return err;
  switch (verdict->what) {
    case shard_verdict::kind::skip:
      DM_INFO("{} passes over the change of {} at {}: {}", st.label, shard, at, verdict->reason);
      return caf::none;
    case shard_verdict::kind::conflict:
      return make_error(ec::invalid_state, st.label + ": " + verdict->reason + " (at " + at + ")");
    case shard_verdict::kind::wait: {
      st.shard_holds[{arrival.member.db, arrival.member.table}] = {arrival.target, key,
                                                                   st.checkpoint};
      DM_INFO("{} holds the changes of {} after {} until every shard of {} made '{}' (DDL lock "
              "{})", st.label, shard, at, arrival.target, arrival.statement, verdict->lock_id);
      return persist_checkpoint(self, true);
    }
    case shard_verdict::kind::execute:
      break;
  }
  if (auto err = apply_ddl(self, q, key)) return err;
  if (auto err = ask_coordinator(self, [] {}, shard_ddl_atom_v, st.task_name, arrival.target))
    return err;
  DM_INFO("{} ran the change of DDL lock {} for every shard of {}", st.label, verdict->lock_id,
          arrival.target);
  return caf::none;
}

// shard-mode pessimistic: after a CREATE TABLE or DROP TABLE of a shard table of a merged table
// ran, the coordinator learns it (a dropped shard is no longer awaited by that table's lock).
caf::error note_shard_created_or_dropped(self_ptr self) {
  auto& st = self->state;
  auto kind = st.plan.ddl.kind;
  auto [db, table] = shard_key(st, st.plan.ddl.shard_table.first, st.plan.ddl.shard_table.second);
  if (!st.coordinator || db.empty() ||
      (kind != sql::statement_kind::create_table && kind != sql::statement_kind::drop_table))
    return caf::none;
  auto target = st.rules->route(db, table);
  if (!target) return target.error();
  return ask_coordinator(self, [] {}, shard_tables_atom_v, st.task_name,
                         sql::qualified_name(target->first, target->second),
                         shard_member{st.source.source_id, db, table},
                         kind == sql::statement_kind::create_table);
}

// Once everything sent has committed (a new run must not race the old appliers), stops with
// replay_requested: the task starts the syncer again at once, from the stored checkpoint.
void stop_for_replay_once_drained(self_ptr self) {
  auto& st = self->state;
  if (auto err = send(self, st.dispatch->take_sendable(true))) return fail(self, std::move(err));
  if (!st.dispatch->idle()) return;  // the next acknowledgement comes back here
  stop_syncer(self, make_error(ec::replay_requested, st.label + " replays the changes it held "
                                                             "for the DDL lock on " +
                                                             *st.replay_pending));
}

// The shard DDL lock on `target` resolved: when it held tables here, the syncer stops, saving
// the checkpoint where the first hold began, and its task starts it again at once: it replays
// the held changes (what it applied meanwhile again, in safe mode).
void on_shard_lock_resolved(self_ptr self, const std::string& target) {
  auto& st = self->state;
  bool held = std::any_of(st.shard_holds.begin(), st.shard_holds.end(),
                          [&](const auto& hold) { return hold.second.target == target; });
  if (!held) return;
  if (st.replay_pending) return;
  DM_INFO("{}: the DDL lock on {} resolved; it stops reading, and once its appliers committed "
          "what they have, starts again to apply the changes it held",
          st.label, target);
  st.replay_pending = target;
  stop_for_replay_once_drained(self);
}

// Processes one relay event: plan, then run the plan's step. False when it must be processed
// again later (a hold); the event is then not consumed, and keeps its decoding and plan.
caf::expected<bool> process(self_ptr self, const storage::stored_event& stored) {
  auto& st = self->state;
  if (auto err = follow_file(st, stored.key)) return err;
  if (!st.rows_active) {
    if (!st.decoded || st.decoded_key != stored.key) {
      st.decoded.reset();
      auto fresh = st.decoder.decode(stored.bytes);
      if (!fresh)
        return make_error(code_of(fresh.error()),
                          st.label + ": relay event at " + to_string(position_of(st, stored.key)) +
                              ": " + describe(fresh.error()));
      st.decoded = std::move(*fresh);
      st.decoded_key = stored.key;
      if (auto err = place_decision(st, stored.key)) return err;
      if (auto err = plan_decoded(self, stored.key)) return err;
      switch (fate_under_shard_locks(st, stored.key)) {
        case shard_fate::process:
          break;
        case shard_fate::pass_over:
          st.plan.what = step::skip;
          st.plan.barrier = false;
          st.plan.reason.clear();  // (rows passed over are not logged one by one)
          break;
        case shard_fate::refuse:
          st.plan.what = step::fail;
          st.plan.reason = "the statement names shard tables that a shard DDL lock holds "
                           "together with tables that go on, which cannot stay in order with "
                           "both; run its parts by hand and skip it with dmctl binlog skip";
          break;
      }
    }
    if (st.plan.barrier && !st.dispatch->idle()) {
      if (auto err = send(self, st.dispatch->take_sendable(true))) return err;
      st.holding = hold::drain;
      return false;
    }
    if (st.plan.what == step::operator_inject) {
      // The operator's statements first, then the event as if no decision were about it (with
      // everything drained, a barrier of its new plan holds nothing).
      if (auto err = run_decision(self, stored.key)) return err;
      if (auto err = plan_decoded(self, stored.key)) return err;
    }
    const auto& body = st.decoded->body;
    auto at = position_of(st, stored.key);
    switch (st.plan.what) {
      case step::pass:
      case step::rotate:
      case step::describe_table:   // planned again above, never left as the plan
      case step::operator_inject:  // carried out above, then planned again
        break;
      case step::new_format:
        st.format_file = {stored.key.segment, stored.key.file_index};
        break;
      case step::operator_skip:
      case step::operator_replace:
        if (auto err = run_decision(self, stored.key)) return err;
        break;
      case step::apply_ddl:
        if (!st.plan.ddl.lock_target.empty()) {
          if (auto err = join_shard_lock(self, std::get<binlog::query_event>(body), stored.key))
            return err;
        } else if (auto err = apply_ddl(self, std::get<binlog::query_event>(body), stored.key)) {
          return err;
        } else if (auto err = note_shard_created_or_dropped(self)) {
          return err;
        }
        break;
      case step::record_shadow:
        if (auto err = record_shadow(self, std::get<binlog::query_event>(body), stored.key))
          return err;
        break;
      case step::online_ddl:
        if (auto err = run_online_ddl(self, std::get<binlog::query_event>(body), stored.key))
          return err;
        break;
      case step::skip:
        if (!st.plan.reason.empty())
          DM_INFO("{} skips {} at {} ({}): {}", st.label, sql::to_string(st.plan.ddl.kind),
                  to_string(at), st.plan.reason,
                  excerpt(std::get<binlog::query_event>(body).query, 120));
        break;
      case step::fail:
        return make_error(ec::invalid_state,
                          st.label + ": " + st.plan.reason + " (at " + to_string(at) + ")");
      case step::rows:
        if (auto err = prepare_rows(self, std::get<binlog::rows_event>(body),
                                    *st.decoded->table, st.plan.target, stored.key))
          return err;
        break;
    }
  }
  // A schema change, applied or not (a shard's change the merged table has already, a filtered
  // one), may have changed the upstream table: its rows are read afresh.
  if (!st.rows_active && sql::is_replicated_ddl(st.plan.ddl.kind)) st.schemas->invalidate();
  if (st.rows_active) {
    auto done = dispatch_rows(self);
    if (!done) return done.error();
    if (!*done) return false;
    st.rows_active = false;
    st.rows.clear();
  }
  // The event is fully handed over: move past it.
  const auto& view = st.decoded->view;
  auto outcome = st.tracker.observe(view, st.decoder.format());
  if (!outcome) return outcome.error();
  if (outcome->closed_group) {
    st.tracker.add_closed_gtid(st.gtids);
    st.metric.transactions->add();
  }
  relay_key next{stored.key.segment, stored.key.file_index, view.header.log_pos};
  if (auto* rotate = std::get_if<binlog::rotate_event>(&st.decoded->body)) {
    next = {stored.key.segment, binlog_file_index(rotate->next_file).value_or(0),
            static_cast<uint32_t>(rotate->position)};
    st.current_file = rotate->next_file;
    st.current_file_index = next.file_index;
  }
  st.cursor = next;
  ++st.events_applied;
  st.metric.events->add();
  if (outcome->at_boundary)
    st.dispatch->boundary(sync_position{next, {st.current_file, next.offset},
                                        st.gtids.to_string(), view.header.timestamp});
  bool was_ddl = st.plan.what == step::apply_ddl || st.plan.what == step::online_ddl;
  st.decoded.reset();
  if (was_ddl) {
    advance_checkpoint(self);
    if (auto err = persist_checkpoint(self, true)) return err;
  }
  if (auto err = forget_shadows(self)) return err;
  st.plan.shadows_finished.clear();
  return true;
}

// Before reading a file from its middle, loads the file's format description (stored at offset
// 4), which says how the file's events are laid out (checksums, header lengths).
caf::error load_format(self_ptr self) {
  auto& st = self->state;
  auto& c = st.cursor;
  if (c.offset <= 4 || st.format_file == std::make_pair(c.segment, c.file_index))
    return caf::none;
  std::vector<storage::stored_event> fde;
  relay_key at{c.segment, c.file_index, 4};
  auto n = st.relay->read(at, {at.segment, at.file_index, 5}, 1, 1 << 20, fde);
  if (!n) return n.error();
  if (*n == 0)
    return make_error(ec::storage_failed, st.label + ": the relay log lacks the format "
                                                     "description of " +
                                              st.current_file);
  auto decoded = st.decoder.decode(fde.front().bytes);
  if (!decoded) return decoded.error();
  st.format_file = {c.segment, c.file_index};
  return caf::none;
}

void pump(self_ptr self) {
  auto& st = self->state;
  st.pump_scheduled = false;
  if (st.holding != hold::none || st.replay_pending) return;
  for (size_t processed = 0; processed < defaults::sync_pump_max_events; ++processed) {
    if (st.pending_index == st.pending.size()) {
      if (st.cursor < st.relay_head.head) {
        if (auto err = load_format(self)) return fail(self, std::move(err));
      }
      st.pending.clear();
      st.pending_index = 0;
      if (!(st.cursor < st.relay_head.head)) break;
      auto n = st.relay->read(st.cursor, st.relay_head.head, defaults::sync_read_max_events,
                              defaults::sync_read_max_bytes, st.pending);
      if (!n) return fail(self, n.error());
      if (*n == 0) break;
    }
    auto& event = st.pending[st.pending_index];
    auto done = process(self, event);
    if (!done && code_of(done.error()) == ec::checksum_mismatch && st.repaired != event.key) {
      // Damaged on the local disk (the relay checked it on arrival): fetch it again, once.
      DM_WARN("{}: {}; fetching the event again from the upstream", st.label,
              describe(done.error()));
      auto fresh = refetch_relay_event(st.source, *st.relay, event.key, st.current_file,
                                       event.bytes.size());
      if (!fresh) return fail_at(self, event.key, fresh.error());
      event.bytes = std::move(*fresh);
      st.repaired = event.key;
      DM_INFO("{}: repaired the relay event at {}:{} with the upstream's copy", st.label,
              st.current_file, event.key.offset);
      continue;
    }
    if (!done) return fail_at(self, event.key, done.error());
    if (!*done) break;
    ++st.pending_index;
  }
  advance_checkpoint(self);
  if (st.holding != hold::none) return;
  bool idle = st.pending_index == st.pending.size() && !(st.cursor < st.relay_head.head);
  if (idle) {
    // Nothing more to read: let partly filled batches go.
    if (auto err = send(self, st.dispatch->take_sendable(true))) return fail(self, std::move(err));
    report(self);
  } else {
    schedule_pump(self);
  }
}

// Tables a full migration read at a snapshot after the sync start (see table_starts): keyless
// tables and foreign-key groups, whose changes are applied exactly once rather than replayed.
caf::error load_table_starts(syncer_actor_state& st) {
  if (st.task.task_mode != task_mode::all) return caf::none;
  storage::dump_store store{st.database, st.task.name, st.source.source_id};
  auto tables = store.tables();
  if (!tables) return tables.error();
  std::set<std::pair<std::string, std::string>> in_fk_groups;
  for (auto& t : *tables)
    if (!t.fk_group.empty()) in_fk_groups.insert({t.db, t.table});
  auto chunks = store.chunks();
  if (!chunks) return chunks.error();
  for (auto& c : *chunks) {
    if (!(c.whole_table || in_fk_groups.count({c.db, c.table})) || c.snapshot.empty()) continue;
    relay_key key{st.checkpoint.next.segment, binlog_file_index(c.snapshot.file).value_or(0),
                  c.snapshot.pos};
    if (st.checkpoint.next < key) st.table_starts[c.db + '\0' + c.table] = key;
  }
  return caf::none;
}

// The checkpoint of a task's first start: its meta position, or the end of the relay log.
caf::error first_checkpoint(syncer_actor_state& st, const relay_progress& progress) {
  const auto& meta = st.instance.meta;
  if (!meta.empty()) {
    auto index = binlog_file_index(meta.binlog_name);
    st.checkpoint.next = {progress.head.segment, index.value_or(0), meta.binlog_pos};
    st.checkpoint.position = {meta.binlog_name, meta.binlog_pos};
    st.checkpoint.gtid_set = meta.binlog_gtid;
    auto first = st.relay->first_key();
    if (!first) return first.error();
    if (!*first || st.checkpoint.next < **first)
      return make_error(ec::not_found,
                        st.label + ": the relay log of source " + st.source.source_id +
                            " does not reach back to the task's meta position " +
                            to_string(st.checkpoint.position) +
                            "; create the source with relay-binlog-name at or before it");
  } else {
    st.checkpoint.next = progress.head;
    st.checkpoint.position = progress.relay;
    st.checkpoint.gtid_set = progress.relay_gtid;
  }
  st.checkpoint.safe_until = st.checkpoint.next;
  return caf::none;
}

// Fails when the relay log begins after the checkpoint: the binlog between was gone from the
// upstream before this worker fetched it, and going on would skip it.
caf::error check_relay_reaches_checkpoint(const syncer_actor_state& st) {
  auto begins = st.relay->unbroken_start();
  if (!begins) return begins.error();
  // (A later segment is another upstream server, which GTIDs continue.)
  if (!*begins || (*begins)->segment != st.checkpoint.next.segment ||
      !(st.checkpoint.next < **begins))
    return caf::none;
  auto file = st.relay->file_name((*begins)->segment, (*begins)->file_index);
  auto where = file && *file ? to_string(binlog_position{**file, (*begins)->offset})
                             : to_string(**begins);
  return make_error(ec::binlog_purged,
                    st.label + ": its checkpoint is at " + to_string(st.checkpoint.position) +
                        ", but the relay log of source " + st.source.source_id + " begins at " +
                        where + ": the upstream had purged the binlog between them when this "
                        "worker fetched it; nothing past the checkpoint was applied; to go on, "
                        "stop-task and start the task again with a full migration (task-mode "
                        "all)");
}

// Starts reading once the source answered the subscription.
caf::error start(self_ptr self, const relay_progress& progress) {
  auto& st = self->state;
  auto rules = table_rules::compile(st.instance, st.source.filters, st.source.case_sensitive);
  if (!rules) return rules.error();
  st.rules = std::move(*rules);
  auto online = online_ddl_rules::compile(st.task.online_ddl);
  if (!online) return online.error();
  st.online = std::move(*online);
  auto migrations = load_shadow_migrations(*st.db_meta, st.task_name, st.source.source_id);
  if (!migrations) return migrations.error();
  st.migrations = std::move(*migrations);
  st.relay_head = progress;
  if (st.task.shard_mode == "pessimistic") {
    // The coordinator learns this source's shard tables before any of their changes comes.
    st.coordinator = find_shard_coordinator(self->system());
    if (!st.coordinator)
      return make_error(ec::invalid_state, st.label + ": this worker keeps no shard DDL locks");
    auto shards = list_shard_tables(st.task_name, st.source, *st.rules);
    if (!shards) return shards.error();
    if (auto err = ask_coordinator(self, [] {}, shard_tables_atom_v, std::move(*shards),
                                   caf::actor_cast<syncer_actor>(self)))
      return err;
  }
  auto plan = st.db_meta->get(replay_plan_kind, replay_plan_id(st.task_name, st.source.source_id));
  if (!plan) return plan.error();
  if (*plan) {
    auto parsed = replay_plan_from_json(**plan);
    if (!parsed) return parsed.error();
    st.replay = std::move(*parsed);
    st.replay_stored = true;
  }
  auto stored = st.checkpoints->load_sync(st.task_name, st.source.source_id);
  if (!stored) return stored.error();
  bool unclean = *stored && !(*stored)->clean_stop;
  if (*stored) {
    st.checkpoint = **stored;
  } else if (auto err = first_checkpoint(st, progress)) {
    return err;
  }
  st.cursor = st.checkpoint.next;
  if (auto err = check_relay_reaches_checkpoint(st)) return err;
  if (unclean) {
    // The mark reached the disk before anything past it was sent (see send).
    st.safe_until = st.checkpoint.safe_until;
    DM_INFO("{} resumes after an unclean stop: safe mode from {} until {}", st.label,
            to_string(st.checkpoint.position), to_string(st.safe_until));
  }
  if (auto err = load_table_starts(st)) return err;
  st.current_file = st.checkpoint.position.file;
  st.current_file_index = binlog_file_index(st.current_file).value_or(0);
  st.metric.file->set(st.checkpoint.next.file_index);
  st.metric.pos->set(st.checkpoint.next.offset);
  auto gtids = gtid_set::parse(st.checkpoint.gtid_set);
  st.gtids = gtids ? *gtids : gtid_set{};
  if (unclean && st.checkpoint.run != 0) {
    auto conn = ddl_connection(self);
    if (!conn) return conn.error();
    auto marks = load_apply_marks(**conn, mark_scope(st), st.checkpoint.run);
    if (!marks) return marks.error();
    st.dispatch->set_apply_marks(std::move(*marks));
  }
  // The first start from this checkpoint begins its run (downstream_meta.hpp).
  if (st.checkpoint.run == 0)
    st.checkpoint.run = st.task.incarnation > 0 ? static_cast<uint64_t>(st.task.incarnation)
                                                : new_run_id();
  // Until it stops in order, this run counts as unclean.
  st.checkpoint.clean_stop = false;
  if (auto err = persist_checkpoint(self, true)) return err;
  // Another worker of a cluster taking the part over finds where it began, even before anything
  // is applied, with the replay window it inherited (outside a cluster the row is written when
  // the downstream answers).
  if (auto err = write_checkpoint_row(self, idle_mark(st))) {
    if (st.task.incarnation > 0) return err;
    DM_DEBUG("{} could not write its checkpoint downstream yet: {}", st.label, describe(err));
  }
  auto decision = load_decision(*st.db_meta, st.task_name, st.source.source_id);
  if (!decision) return decision.error();
  st.decision = std::move(*decision);
  if (st.decision && decision_behind(*st.decision, st.checkpoint)) {
    // Carried out before a crash that came before it was forgotten (see persist_checkpoint).
    if (auto err = clear_decision(*st.db_meta, st.task_name, st.source.source_id)) return err;
    st.decision.reset();
  }
  st.started = true;
  DM_INFO("{} starts at {}{}", st.label, to_string(st.checkpoint.position),
          safe_mode_active(st) ? " in safe mode" : "");
  schedule_pump(self);
  return caf::none;
}

}  // namespace

syncer_actor::behavior_type syncer(syncer_actor::stateful_pointer<syncer_actor_state> self,
                                   task_config task, source_config source,
                                   std::shared_ptr<storage::database> db, task_actor parent,
                                   source_actor relay_source, std::string worker_name) {
  auto& st = self->state;
  st.task_name = task.name;
  st.label = "syncer of task " + task.name + " on source " + source.source_id;
  if (auto* inst = find_instance(task, source.source_id)) st.instance = *inst;
  st.task = std::move(task);
  st.source = std::move(source);
  st.parent = std::move(parent);
  st.relay_source = std::move(relay_source);
  st.relay = std::make_unique<storage::relay_log>(db, st.source.source_id);
  st.database = db;
  st.checkpoints = std::make_unique<storage::checkpoint_store>(db);
  st.db_meta = std::make_unique<storage::meta_store>(db);
  st.schemas = std::make_unique<schema_resolver>(st.source.from, st.task.target_database,
                                                 "task " + st.task_name + " on source " +
                                                     st.source.source_id);
  auto& reg = metrics::registry::global();
  // DM's names and labels (node "syncer" or "master" for the positions).
  metrics::labels l{{"task", st.task_name}, {"source_id", st.source.source_id}};
  metrics::labels syncer_node{{"node", "syncer"}, {"task", st.task_name},
                              {"source_id", st.source.source_id}};
  metrics::labels master_node{{"node", "master"}, {"task", st.task_name},
                              {"source_id", st.source.source_id}};
  constexpr const char* file_help =
      "Binlog file index of the task's checkpoint (node syncer) or of the upstream (node master)";
  constexpr const char* pos_help =
      "Binlog offset of the task's checkpoint (node syncer) or of the upstream (node master)";
  st.metric.file = reg.get_gauge("dm_syncer_binlog_file", file_help, syncer_node);
  st.metric.pos = reg.get_gauge("dm_syncer_binlog_pos", pos_help, syncer_node);
  st.metric.master_file = reg.get_gauge("dm_syncer_binlog_file", file_help, master_node);
  st.metric.master_pos = reg.get_gauge("dm_syncer_binlog_pos", pos_help, master_node);
  st.metric.transactions = reg.get_counter(
      "dm_syncer_finished_transaction_total", "Upstream transactions the syncer handed over",
      {{"task", st.task_name}, {"source_id", st.source.source_id}, {"worker", worker_name}});
  st.metric.rows = reg.get_counter("dm_syncer_rows_applied_total",
                                   "Row changes committed downstream", l);
  st.metric.events = reg.get_counter("dm_syncer_events_total",
                                     "Binlog events the syncer processed", l);
  st.metric.bytes_in_flight = reg.get_gauge(
      "dm_syncer_bytes_in_flight", "Estimated bytes of row changes not yet committed", l);
  auto workers = std::max<uint32_t>(1, st.instance.syncer.worker_count);
  dispatch_settings settings;
  settings.appliers = workers;
  settings.credits = defaults::applier_credits;
  settings.batch_rows = std::max<uint32_t>(1, st.instance.syncer.batch);
  settings.memory_budget = static_cast<size_t>(st.instance.syncer.memory_budget_mb) << 20;
  st.dispatch = std::make_unique<dispatcher>(settings);
  for (uint32_t i = 0; i < workers; ++i)
    st.appliers.push_back(self->spawn<caf::detached + caf::linked>(
        applier, i, st.task.target_database,
        "applier " + std::to_string(i) + " of task " + st.task_name, mark_scope(st),
        st.source.cluster_epoch, syncer_actor{self}));
  // (Also an applier's end, through the link.)
  self->set_exit_handler([=](caf::exit_msg& msg) { stop_syncer(self, std::move(msg.reason)); });
  self->request(st.relay_source, caf::infinite, subscribe_atom_v, relay_listener_actor{self})
      .then([=](relay_progress& progress) {
        if (self->state.stopping) return;
        if (auto err = start(self, progress)) fail(self, std::move(err));
      });
  self->delayed_send(self, defaults::sync_tick, tick_atom_v);
  return {
      [=](relay_head_atom, relay_progress& progress) {
        auto& st = self->state;
        st.metric.master_file->set(binlog_file_index(progress.upstream.file).value_or(0));
        st.metric.master_pos->set(progress.upstream.pos);
        st.relay_head = std::move(progress);
        schedule_pump(self);
      },
      [=](pump_atom) {
        if (!self->state.stopping) pump(self);
      },
      [=](ack_atom, uint32_t a, uint64_t seq) {
        auto& st = self->state;
        auto rows = st.dispatch->acknowledge(a, seq);
        st.rows_applied += rows;
        st.metric.rows->add(rows);
        st.metric.bytes_in_flight->set(static_cast<double>(st.dispatch->bytes_in_flight()));
        advance_checkpoint(self);
        if (st.stopping) return;
        if (st.replay_pending) return stop_for_replay_once_drained(self);
        if (auto open = st.dispatch->take_open(a)) {
          std::vector<std::pair<uint32_t, job_batch>> one;
          one.emplace_back(a, std::move(*open));
          if (auto err = send(self, std::move(one))) return fail(self, std::move(err));
        }
        if (st.holding != hold::none) {
          st.holding = hold::none;
          schedule_pump(self);
        }
      },
      [=](apply_failed_atom, uint32_t, const relay_key& origin, caf::error& err) {
        if (!self->state.stopping) fail_at(self, origin, std::move(err));
      },
      [=](tick_atom) {
        auto& st = self->state;
        if (st.stopping) {
          if (std::chrono::steady_clock::now() < st.stop_deadline) {
            self->delayed_send(self, defaults::sync_tick, tick_atom_v);
          } else {
            DM_WARN("{}: {} applier(s) did not end within {} s; stopping without them",
                    st.label, st.appliers_running, defaults::applier_stop_grace.count());
            finish_stop(self);
          }
          return;
        }
        if (st.started && st.checkpoint_dirty) {
          if (auto err = persist_checkpoint(self, false)) return fail(self, std::move(err));
        }
        refresh_checkpoint_row(self);
        if (st.started) report(self);
        self->delayed_send(self, defaults::sync_tick, tick_atom_v);
      },
      [=](shard_ddl_atom, const std::string& target) {
        if (!self->state.stopping) on_shard_lock_resolved(self, target);
      },
  };
}

}  // namespace dm
