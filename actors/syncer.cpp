#include "actors/syncer.hpp"

#include <algorithm>
#include <ctime>

#include <caf/all.hpp>

#include "actors/applier.hpp"
#include "actors/connection_settings.hpp"
#include "actors/relay_repair.hpp"
#include "actors/ddl_plan.hpp"
#include "actors/handle_error.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/log.hpp"
#include "protocol/sql/quote.hpp"
#include "storage/database.hpp"
#include "storage/dump_store.hpp"

namespace dm {

namespace {

using self_ptr = syncer_actor::stateful_pointer<syncer_actor_state>;
using hold = syncer_actor_state::hold;

// Bounds of one pump and of one read from the relay log.
constexpr size_t pump_max_events = 2048;
constexpr size_t read_max_events = 1024;
constexpr size_t read_max_bytes = 8 << 20;
// Batches each applier may have in flight.
constexpr uint32_t applier_credits = 2;
constexpr auto tick_interval = std::chrono::milliseconds{500};
// Rows event flag: the statement ran with foreign_key_checks = 0.
constexpr uint16_t no_foreign_key_checks_flag = 0x02;
// How far past the relay head the high-water mark moves at once: one synced write per this
// much binlog, at the price of replaying up to this much in safe mode after a crash.
constexpr uint32_t high_water_step = 16 << 20;

// Errors of DDL that was applied already; skipped while replaying in safe mode.
bool is_already_applied(unsigned errnum) {
  switch (errnum) {
    case 1007:  // database exists
    case 1008:  // database does not exist
    case 1050:  // table exists
    case 1051:  // unknown table
    case 1060:  // duplicate column
    case 1061:  // duplicate key name
    case 1091:  // can't drop field or key
    case 1146:  // table does not exist
      return true;
    default:
      return false;
  }
}

const char* dml_event_name(binlog::rows_kind kind) {
  switch (kind) {
    case binlog::rows_kind::write: return "insert";
    case binlog::rows_kind::update: return "update";
    default: return "delete";
  }
}

bool safe_mode_active(const syncer_actor_state& st) {
  return st.instance.syncer.safe_mode || st.cursor < st.safe_until;
}

binlog_position position_of(const syncer_actor_state& st, const storage::relay_key& key) {
  return {st.current_file, key.offset};
}

caf::error persist_checkpoint(self_ptr self, bool sync) {
  auto& st = self->state;
  st.checkpoint_dirty = false;
  return st.checkpoints->save_sync(st.task_name, st.source.source_id, st.checkpoint, sync);
}

sync_progress make_progress(const syncer_actor_state& st) {
  sync_progress p;
  p.synced = st.checkpoint.position;
  p.synced_gtid = st.checkpoint.gtid_set;
  p.relay = st.relay_head.relay;
  p.caught_up = st.started && !(st.cursor < st.relay_head.head) && st.commits.idle() &&
                st.relay_head.upstream_confirmed &&
                st.relay_head.relay == st.relay_head.upstream;
  p.events_applied = st.events_applied;
  p.rows_applied = st.rows_applied;
  p.safe_mode = safe_mode_active(st);
  p.last_event_time = st.checkpoint_event_time;
  p.bytes_in_flight = st.bytes_in_flight;
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
  if (auto safe = st.commits.take_safe()) {
    st.checkpoint.next = safe->next;
    st.checkpoint.position = safe->position;
    st.checkpoint.gtid_set = safe->gtid_set;
    st.checkpoint_event_time = safe->event_time;
    st.checkpoint_dirty = true;
    st.metric.file->set(safe->next.file_index);
    st.metric.pos->set(safe->position.pos);
  }
}

// Saves the checkpoint as the syncer stops. Unless nothing is in flight (a clean stop), the next
// run replays in safe mode; it need not go past what this run dispatched, which is tighter than
// the high-water mark (nor short of the window an earlier crash left, if still open).
void save_stop_checkpoint(self_ptr self) {
  auto& st = self->state;
  if (!st.started) return;
  advance_checkpoint(self);
  st.checkpoint.clean_stop = st.commits.idle() && !st.rows_active;
  if (!st.checkpoint.clean_stop) {
    auto dispatched = st.cursor;
    if (st.rows_active) dispatched = {st.rows_origin.segment, st.rows_origin.file_index,
                                      st.rows_origin.offset + 1};
    auto end = std::max(dispatched, st.safe_until);
    if (end < st.checkpoint.safe_until) st.checkpoint.safe_until = end;
  }
  if (auto err = persist_checkpoint(self, true))
    DM_ERROR("{} could not save its checkpoint: {}", st.label, describe(err));
}

// Stops the syncer because of the event at `key`: the task learns where, for query-status and
// handle-error.
void fail_at(self_ptr self, const storage::relay_key& key, caf::error err) {
  auto& st = self->state;
  auto p = make_progress(st);
  p.failed = true;
  p.failed_key = key;
  p.failed_position = position_of(st, key);
  self->send(st.parent, progress_atom_v, std::move(p));
  DM_WARN("{} stopped at {}: {}", st.label, to_string(position_of(st, key)), describe(err));
  save_stop_checkpoint(self);
  self->quit(std::move(err));
}

void fail(self_ptr self, caf::error err) {
  DM_WARN("{} stopped: {}", self->state.label, describe(err));
  save_stop_checkpoint(self);
  self->quit(std::move(err));
}


void schedule_pump(self_ptr self) {
  auto& st = self->state;
  if (st.pump_scheduled || !st.started) return;
  st.pump_scheduled = true;
  self->send(self, pump_atom_v);
}

// Sends applier `a` its open batch if it has credit. Before the first change beyond the
// persisted high-water mark leaves, the mark moves past the relay head and reaches the disk.
caf::error send_open(self_ptr self, uint32_t a) {
  auto& st = self->state;
  if (st.open[a].jobs.empty() || st.credits[a] == 0) return caf::none;
  if (!(st.cursor < st.checkpoint.safe_until)) {
    auto head = st.relay_head.head;
    head.offset = head.offset > UINT32_MAX - high_water_step ? UINT32_MAX
                                                             : head.offset + high_water_step;
    st.checkpoint.safe_until = head;
    if (auto err = persist_checkpoint(self, true)) return err;
  }
  --st.credits[a];
  st.open[a].run = st.checkpoint.run;
  self->send(st.appliers[a], apply_atom_v, std::move(st.open[a]));
  st.open[a] = job_batch{};
  return caf::none;
}

caf::error send_all_open(self_ptr self) {
  for (uint32_t a = 0; a < self->state.appliers.size(); ++a)
    if (auto err = send_open(self, a)) return err;
  return caf::none;
}

size_t estimated_bytes(const row_job& job) {
  size_t bytes = sizeof(row_job);
  for (auto* image : {&job.before, &job.after})
    for (auto& c : *image) bytes += sizeof(c) + c.text.size();
  return bytes;
}

// Dispatches the rows of the current rows event from row_index on. False when dispatch must
// wait (credits, memory budget or a key conflict); it then resumes at the same row.
caf::expected<bool> dispatch_rows(self_ptr self) {
  auto& st = self->state;
  auto batch_size = std::max<uint32_t>(1, st.instance.syncer.batch);
  std::vector<std::string> keys;
  for (; st.row_index < st.rows.size(); ++st.row_index) {
    auto& change = st.rows[st.row_index];
    keys.clear();
    if (st.rows_group) {
      // One key for the whole group: one applier takes its changes, in binlog order.
      keys.push_back(serial_group_key(*st.rows_group));
    } else {
      append_causality_keys(*st.rows_schema, st.rows_target, change.before, keys);
      append_causality_keys(*st.rows_schema, st.rows_target, change.after, keys);
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    }
    auto target = st.causes->route(keys);
    if (!target) {
      if (auto err = send_all_open(self)) return err;
      st.holding = hold::conflict;
      return false;
    }
    change_origin origin{st.rows_origin, static_cast<uint32_t>(st.row_index)};
    if (!st.apply_marks.empty() && st.rows_group) {
      auto mark = st.apply_marks.find(*st.rows_group);
      if (mark != st.apply_marks.end() && origin <= mark->second) {
        if (origin.row == 0)
          DM_INFO("{} skips changes to {} up to {} row {}: applied before the last stop",
                  st.label, st.rows_target, storage::to_string(mark->second.event),
                  mark->second.row);
        continue;
      }
    }
    auto a = *target;
    auto& batch = st.open[a];
    if (batch.jobs.size() >= batch_size && st.credits[a] == 0) {
      st.holding = hold::credit;
      return false;
    }
    if (st.bytes_in_flight > st.memory_budget) {
      if (auto err = send_all_open(self)) return err;
      st.holding = hold::memory;
      return false;
    }
    if (batch.jobs.empty()) {
      batch.seq = st.commits.open_batch();
      st.in_flight[batch.seq] = {};
    }
    row_job job;
    job.schema = st.rows_schema;
    job.target = st.rows_target;
    job.kind = st.rows_kind;
    // A serial group is applied exactly once (its marks), never in safe mode.
    job.safe = !st.rows_group && safe_mode_active(st);
    job.serial_group = st.rows_group;
    job.fk_table = st.rows_fk_table;
    job.fk_checks = st.rows_fk_table && st.rows_fk_checks;
    job.origin = origin;
    job.before = std::move(change.before);
    job.after = std::move(change.after);
    auto bytes = estimated_bytes(job);
    batch.jobs.push_back(std::move(job));
    st.causes->hold(keys, a);
    auto& flight = st.in_flight[batch.seq];
    flight.keys.insert(flight.keys.end(), keys.begin(), keys.end());
    ++flight.rows;
    flight.bytes += bytes;
    st.bytes_in_flight += bytes;
    if (batch.jobs.size() >= batch_size) {
      if (auto err = send_open(self, a)) return err;
    }
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

// The session of query event `q` (ddl_session.hpp), with what the upstream's ids mean, read from
// the upstream once per run.
caf::expected<event_session> session_of_event(self_ptr self, const binlog::query_event& q) {
  auto& st = self->state;
  if (!st.session_facts) {
    auto conn = mysql_connection::open(to_connection_params(st.source.from), server_role::upstream,
                                       "upstream of source " + st.source.source_id);
    if (!conn) return conn.error();
    auto facts = read_session_facts(*conn);
    if (!facts) return facts.error();
    st.session_facts = std::move(*facts);
  }
  return session_of(q.status, st.view.header.timestamp, st.decoder.format().is_mariadb(),
                    *st.session_facts);
}

// Runs statements on the DDL connection (after USE `use_db`, when the database exists), in
// `session` when given (then back in the appliers' session after).
// REQUIRES: every applier drained.
caf::error run_downstream(self_ptr self, const std::string& use_db,
                          const std::vector<std::string>& statements, const std::string& what,
                          const binlog_position& at,
                          const std::optional<event_session>& session = std::nullopt) {
  auto& st = self->state;
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
      if ((*conn)->last_errno() != 1049) {
        st.ddl_conn.reset();
        return err;
      }
    }
  }
  for (auto& statement : statements) {
    if (auto err = (*conn)->execute(statement)) {
      auto errnum = (*conn)->last_errno();
      if (safe_mode_active(st) && is_already_applied(errnum)) {
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

// Creates the meta tables downstream, once per run, before the first change to a serial group
// leaves.
caf::error ensure_meta_tables(self_ptr self) {
  auto& st = self->state;
  if (st.meta_tables_ready) return caf::none;
  auto conn = ddl_connection(self);
  if (!conn) return conn.error();
  auto statements = meta_tables_ddl(st.task.meta_schema);
  // Marks of other runs (a stopped task of the same name) are of no use to anyone.
  statements.push_back("DELETE FROM " + meta_table(st.task.meta_schema, "apply_marks") +
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

// What to do with the event at `key` per the operator's decision, if one is pending for it.
// Returns true when the event is handled (skipped, or replaced by the operator's SQL).
caf::expected<bool> apply_decision(self_ptr self, const storage::relay_key& key) {
  auto& st = self->state;
  if (!st.decision_key || *st.decision_key != key) return false;
  if (!st.commits.idle()) {
    if (auto err = send_all_open(self)) return err;
    st.holding = hold::drain;
    return caf::error{};
  }
  auto at = position_of(st, key);
  if (st.decision_action == "replace") {
    auto statements = split_statements(st.decision_sql);
    if (auto err = run_downstream(self, "", statements, "handle-error replace", at)) return err;
  }
  DM_INFO("{} {} the event at {} as the operator decided", st.label,
          st.decision_action == "skip" ? "skipped" : "replaced", to_string(at));
  if (auto err = clear_decision(*st.db_meta, st.task_name, st.source.source_id)) return err;
  st.decision_key.reset();
  return true;
}

// Processes one relay event. False when it must be processed again later (dispatch on hold);
// the event is then not consumed.
// True for row events of a table whose copy (task-mode all) already holds them.
bool before_table_start(const syncer_actor_state& st, const std::string& db, const std::string& table,
                        const storage::relay_key& key) {
  if (st.table_starts.empty()) return false;
  auto it = st.table_starts.find(db + '\0' + table);
  return it != st.table_starts.end() && key < it->second;
}

caf::expected<bool> process(self_ptr self, const storage::stored_event& stored) {
  auto& st = self->state;
  bool was_ddl = false;
  if (stored.key.file_index != st.current_file_index) {
    // Files change at rotate events, but also where the upstream restarted (a stop event, then
    // a rotate the server makes up and the relay does not store): ask the relay's index.
    auto name = st.relay->file_name(stored.key.segment, stored.key.file_index);
    if (!name) return name.error();
    if (!*name)
      return make_error(ec::storage_failed, st.label + ": the relay log has no file name for "
                                                       "file index " +
                                                std::to_string(stored.key.file_index));
    st.current_file = **name;
    st.current_file_index = stored.key.file_index;
  }
  std::optional<binlog::rotate_event> rotate;
  if (!st.rows_active) {
    // An event processed again after a hold is not decoded again: decoding has effects on the
    // decoder (the last rows event of a statement retires its table maps).
    if (!st.decoded || st.decoded_key != stored.key) {
      st.decoded.reset();
      auto fresh = st.decoder.decode(stored.bytes);
      if (!fresh)
        return make_error(code_of(fresh.error()),
                          st.label + ": relay event at " + to_string(position_of(st, stored.key)) +
                              ": " + describe(fresh.error()));
      st.decoded = std::move(*fresh);
      st.decoded_key = stored.key;
    }
    auto& decoded = st.decoded;
    st.view = decoded->view;
    auto& body = decoded->body;
    auto decided = apply_decision(self, stored.key);
    if (!decided) {
      if (!decided.error()) return false;  // draining first
      return decided.error();
    }
    if (std::holds_alternative<binlog::format_description>(body)) {
      st.format_file = {stored.key.segment, stored.key.file_index};
    } else if (auto* rot = std::get_if<binlog::rotate_event>(&body)) {
      rotate = *rot;
    } else if (*decided) {
      // Handled by the operator's decision: neither applied nor dispatched.
    } else if (auto* q = std::get_if<binlog::query_event>(&body)) {
      auto plan = plan_ddl(q->query, q->db, *st.rules, lexer_mode_of(q->status.sql_mode));
      auto at = position_of(st, stored.key);
      if (plan.kind != sql::statement_kind::transaction_control) {
        if (plan.what == ddl_plan::action::skip) {
          DM_INFO("{} skips {} at {} ({}): {}", st.label, sql::to_string(plan.kind),
                  to_string(at), plan.reason, excerpt(q->query, 120));
        } else if (plan.what == ddl_plan::action::fail) {
          return make_error(ec::invalid_state,
                            st.label + ": " + plan.reason + " (at " + to_string(at) + ")");
        } else {
          if (!st.commits.idle()) {
            if (auto err = send_all_open(self)) return err;
            st.holding = hold::drain;
            return false;
          }
          // Everything before the change is applied: make that the checkpoint first, so that a
          // crash cannot make rows of the old structure replay onto the new one.
          advance_checkpoint(self);
          if (auto err = persist_checkpoint(self, true)) return err;
          auto session = session_of_event(self, *q);
          if (!session) return session.error();
          if (auto err = run_downstream(self, plan.use_db, plan.statements,
                                        sql::to_string(plan.kind), at, *session))
            return err;
          DM_INFO("{} applied {} at {}", st.label, sql::to_string(plan.kind), to_string(at));
          was_ddl = true;
        }
      }
    } else if (auto* rows = std::get_if<binlog::rows_event>(&body)) {
      const auto& table = *decoded->table;
      if (st.rules->replicated(table.db, table.table) &&
          !before_table_start(st, table.db, table.table, stored.key)) {
        std::string rule;
        auto verdict = st.rules->filter(table.db, table.table, dml_event_name(rows->kind), "",
                                        &rule);
        if (verdict == table_rules::verdict::fail)
          return make_error(ec::invalid_state,
                            st.label + ": filter " + rule + " makes " +
                                dml_event_name(rows->kind) + " on " + table.db + "." +
                                table.table + " an error (at " +
                                to_string(position_of(st, stored.key)) + ")");
        if (verdict == table_rules::verdict::apply) {
          auto target = st.rules->route(table.db, table.table);
          if (!target) return target.error();
          auto schema = st.schemas->resolve(table, target->first, target->second);
          if (!schema) return schema.error();
          auto legacy = schema_resolver::with_legacy_fsp(table, **schema);
          auto changes = binlog::decode_rows(*rows, legacy ? *legacy : table);
          if (!changes)
            return make_error(code_of(changes.error()),
                              st.label + ": relay event at " +
                                  to_string(position_of(st, stored.key)) + ": " +
                                  describe(changes.error()));
          st.rows_group.reset();
          auto fk_group = st.schemas->fk_group(target->first, target->second);
          if (!fk_group) return fk_group.error();
          st.rows_fk_table = !fk_group->empty();
          st.rows_fk_checks = !(rows->flags & no_foreign_key_checks_flag);
          if ((*schema)->identity_key().empty())
            st.keyless_tables.insert(table.db + "." + table.table);
          if (st.rows_fk_table)
            st.rows_group = std::make_shared<const std::string>(std::move(*fk_group));
          else if ((*schema)->identity_key().empty())
            st.rows_group = std::make_shared<const std::string>(
                sql::qualified_name(target->first, target->second));
          if (st.rows_group)
            if (auto err = ensure_meta_tables(self)) return err;
          st.rows = std::move(*changes);
          st.row_index = 0;
          st.rows_schema = std::move(*schema);
          st.rows_target = sql::qualified_name(target->first, target->second);
          st.rows_kind = rows->kind;
          st.rows_origin = stored.key;
          st.rows_active = true;
        }
      }
    }
  }
  if (st.rows_active) {
    auto done = dispatch_rows(self);
    if (!done) return done.error();
    if (!*done) return false;
    st.rows_active = false;
    st.rows.clear();
  }
  // The event is fully handed over: move past it.
  st.decoded.reset();
  auto outcome = st.tracker.observe(st.view, st.decoder.format());
  if (!outcome) return outcome.error();
  if (outcome->closed_group) st.tracker.add_closed_gtid(st.gtids);
  storage::relay_key next{stored.key.segment, stored.key.file_index, st.view.header.log_pos};
  if (rotate) {
    next = {stored.key.segment, binlog_file_index(rotate->next_file).value_or(0),
            static_cast<uint32_t>(rotate->position)};
    st.current_file = rotate->next_file;
    st.current_file_index = next.file_index;
  }
  st.cursor = next;
  ++st.events_applied;
  st.metric.events->add();
  if (outcome->at_boundary)
    st.commits.boundary(sync_position{next, {st.current_file, next.offset}, st.gtids.to_string(),
                                      st.view.header.timestamp});
  if (was_ddl) {
    advance_checkpoint(self);
    if (auto err = persist_checkpoint(self, true)) return err;
  }
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
  storage::relay_key at{c.segment, c.file_index, 4};
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
  if (st.holding != hold::none) return;
  for (size_t processed = 0; processed < pump_max_events; ++processed) {
    if (st.pending_index == st.pending.size()) {
      if (st.cursor < st.relay_head.head) {
        if (auto err = load_format(self)) return fail(self, std::move(err));
      }
      st.pending.clear();
      st.pending_index = 0;
      if (!(st.cursor < st.relay_head.head)) break;
      auto n = st.relay->read(st.cursor, st.relay_head.head, read_max_events, read_max_bytes,
                              st.pending);
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
    if (auto err = send_all_open(self)) return fail(self, std::move(err));
    report(self);
  } else {
    schedule_pump(self);
  }
}

// Tables a full migration read at a snapshot after the sync start (see table_starts): keyless
// tables and foreign-key groups, whose changes are applied exactly once rather than replayed.
caf::error load_table_starts(syncer_actor_state& st) {
  if (st.task.task_mode != "all") return caf::none;
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
    storage::relay_key key{st.checkpoint.next.segment,
                           binlog_file_index(c.snapshot.file).value_or(0), c.snapshot.pos};
    if (st.checkpoint.next < key) st.table_starts[c.db + '\0' + c.table] = key;
  }
  return caf::none;
}

// Starts reading once the source answered the subscription.
caf::error start(self_ptr self, const relay_progress& progress) {
  auto& st = self->state;
  auto rules = table_rules::compile(st.instance);
  if (!rules) return rules.error();
  st.rules = std::move(*rules);
  st.relay_head = progress;
  auto stored = st.checkpoints->load_sync(st.task_name, st.source.source_id);
  if (!stored) return stored.error();
  if (*stored) {
    st.checkpoint = **stored;
    st.cursor = st.checkpoint.next;
    if (!st.checkpoint.clean_stop) {
      // The mark reached the disk before anything past it was sent (see send_open).
      st.safe_until = st.checkpoint.safe_until;
      DM_INFO("{} resumes after an unclean stop: safe mode from {} until {}", st.label,
              to_string(st.checkpoint.position), storage::to_string(st.safe_until));
    }
  } else {
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
    st.cursor = st.checkpoint.next;
    st.checkpoint.safe_until = st.cursor;
  }
  if (auto err = load_table_starts(st)) return err;
  st.current_file = st.checkpoint.position.file;
  st.current_file_index = binlog_file_index(st.current_file).value_or(0);
  st.metric.file->set(st.checkpoint.next.file_index);
  st.metric.pos->set(st.checkpoint.next.offset);
  auto gtids = gtid_set::parse(st.checkpoint.gtid_set);
  st.gtids = gtids ? *gtids : gtid_set{};
  if (stored->has_value() && !(*stored)->clean_stop && st.checkpoint.run != 0) {
    auto conn = ddl_connection(self);
    if (!conn) return conn.error();
    auto marks = load_apply_marks(**conn, mark_scope(st), st.checkpoint.run);
    if (!marks) return marks.error();
    st.apply_marks = std::move(*marks);
  }
  // The first start from this checkpoint begins its run (downstream_meta.hpp).
  if (st.checkpoint.run == 0) st.checkpoint.run = new_run_id();
  // Until it stops in order, this run counts as unclean.
  st.checkpoint.clean_stop = false;
  if (auto err = persist_checkpoint(self, true)) return err;
  auto decision = load_decision(*st.db_meta, st.task_name, st.source.source_id);
  if (!decision) return decision.error();
  if (*decision) {
    st.decision_key = (*decision)->key;
    st.decision_action = (*decision)->action;
    st.decision_sql = (*decision)->sql;
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
                                   source_actor relay_source) {
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
  st.memory_budget = static_cast<size_t>(st.instance.syncer.memory_budget_mb) << 20;
  auto& reg = metrics::registry::global();
  metrics::labels l{{"task", st.task_name}, {"source", st.source.source_id}};
  st.metric.file = reg.get_gauge("dm_sync_binlog_file",
                                 "Binlog file index of the task's checkpoint", l);
  st.metric.pos = reg.get_gauge("dm_sync_binlog_pos", "Binlog offset of the task's checkpoint", l);
  st.metric.rows = reg.get_counter("dm_sync_rows_applied_total",
                                   "Row changes committed downstream", l);
  st.metric.events = reg.get_counter("dm_sync_events_total", "Binlog events the syncer processed",
                                     l);
  st.metric.bytes_in_flight = reg.get_gauge(
      "dm_sync_bytes_in_flight", "Estimated bytes of row changes not yet committed", l);
  auto workers = std::max<uint32_t>(1, st.instance.syncer.worker_count);
  st.causes = std::make_unique<causality>(workers);
  st.credits.assign(workers, applier_credits);
  st.open.resize(workers);
  for (uint32_t i = 0; i < workers; ++i)
    st.appliers.push_back(self->spawn<caf::detached + caf::linked>(
        applier, i, st.task.target_database,
        "applier " + std::to_string(i) + " of task " + st.task_name, mark_scope(st),
        syncer_actor{self}));
  self->set_exit_handler([=](caf::exit_msg& msg) {
    save_stop_checkpoint(self);
    self->quit(msg.reason);
  });
  self->request(st.relay_source, caf::infinite, subscribe_atom_v, relay_listener_actor{self})
      .then([=](relay_progress& progress) {
        if (auto err = start(self, progress)) fail(self, std::move(err));
      });
  self->delayed_send(self, tick_interval, tick_atom_v);
  return {
      [=](relay_head_atom, relay_progress& progress) {
        self->state.relay_head = std::move(progress);
        schedule_pump(self);
      },
      [=](pump_atom) { pump(self); },
      [=](ack_atom, uint32_t a, uint64_t seq) {
        auto& st = self->state;
        ++st.credits[a];
        st.commits.committed(seq);
        if (auto it = st.in_flight.find(seq); it != st.in_flight.end()) {
          st.causes->release(it->second.keys);
          st.rows_applied += it->second.rows;
          st.metric.rows->add(it->second.rows);
          st.bytes_in_flight -= it->second.bytes;
          st.metric.bytes_in_flight->set(static_cast<double>(st.bytes_in_flight));
          st.in_flight.erase(it);
        }
        advance_checkpoint(self);
        if (auto err = send_open(self, a)) return fail(self, std::move(err));
        if (st.holding != hold::none) {
          st.holding = hold::none;
          schedule_pump(self);
        }
      },
      [=](apply_failed_atom, uint32_t, const storage::relay_key& origin, caf::error& err) {
        fail_at(self, origin, std::move(err));
      },
      [=](tick_atom) {
        auto& st = self->state;
        if (st.started && st.checkpoint_dirty) {
          if (auto err = persist_checkpoint(self, false)) return fail(self, std::move(err));
        }
        if (st.started) report(self);
        self->delayed_send(self, tick_interval, tick_atom_v);
      },
  };
}

}  // namespace dm
