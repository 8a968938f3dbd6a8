#include "actors/syncer.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/applier.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/log.hpp"
#include "protocol/sql/ddl.hpp"
#include "protocol/sql/quote.hpp"
#include "storage/database.hpp"

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

bool is_system_schema(const std::string& db) {
  return db == "mysql" || db == "information_schema" || db == "performance_schema" || db == "sys";
}

bool safe_mode_active(const syncer_actor_state& st) {
  return st.instance.syncer.safe_mode || st.cursor < st.safe_until;
}

caf::error persist_checkpoint(self_ptr self, bool sync) {
  auto& st = self->state;
  st.checkpoint_dirty = false;
  return st.checkpoints->save_sync(st.task_name, st.source.source_id, st.checkpoint, sync);
}

void report(self_ptr self) {
  auto& st = self->state;
  sync_progress p;
  p.synced = st.checkpoint.position;
  p.synced_gtid = st.checkpoint.gtid_set;
  p.relay = st.relay_head.relay;
  p.caught_up = st.started && !(st.cursor < st.relay_head.head) && st.commits.idle() &&
                st.relay_head.relay == st.relay_head.upstream;
  p.events_applied = st.events_applied;
  p.rows_applied = st.rows_applied;
  p.safe_mode = safe_mode_active(st);
  p.last_event_time = st.checkpoint_event_time;
  self->send(st.parent, progress_atom_v, std::move(p));
}

// Moves the in-memory checkpoint to the newest boundary whose changes all committed.
void advance_checkpoint(self_ptr self) {
  auto& st = self->state;
  if (auto safe = st.commits.take_safe()) {
    st.checkpoint.next = safe->next;
    st.checkpoint.position = safe->position;
    st.checkpoint.gtid_set = safe->gtid_set;
    st.checkpoint_event_time = safe->event_time;
    st.checkpoint_dirty = true;
  }
}

void schedule_pump(self_ptr self) {
  auto& st = self->state;
  if (st.pump_scheduled || !st.started) return;
  st.pump_scheduled = true;
  self->send(self, pump_atom_v);
}

// How far past the relay head the high-water mark moves at once: one synced write per this
// much binlog, at the price of replaying up to this much in safe mode after a crash.
constexpr uint32_t high_water_step = 64 << 20;

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
  self->send(st.appliers[a], apply_atom_v, std::move(st.open[a]));
  st.open[a] = job_batch{};
  return caf::none;
}

caf::error send_all_open(self_ptr self) {
  for (uint32_t a = 0; a < self->state.appliers.size(); ++a)
    if (auto err = send_open(self, a)) return err;
  return caf::none;
}

caf::expected<mysql_connection*> schema_connection(self_ptr self) {
  auto& st = self->state;
  if (!st.schema_conn) {
    auto params = to_connection_params(st.source.from);
    auto conn = mysql_connection::open(params, server_role::upstream,
                                       "upstream of source " + st.source.source_id);
    if (!conn) return conn.error();
    st.schema_conn.emplace(std::move(*conn));
  }
  return &*st.schema_conn;
}

// Copies the unique keys and generated-column flags of `current` (the table as it is now) onto
// `logged` (the table as the binlog describes it), by column name; keys naming a column the
// binlog's version lacks are dropped.
void merge_keys_by_name(table_schema& logged, const table_schema& current) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < logged.columns.size(); ++i) index[logged.columns[i].name] = i;
  auto map_key = [&](const std::vector<size_t>& key, std::vector<size_t>& out) {
    for (auto c : key) {
      auto it = index.find(current.columns[c].name);
      if (it == index.end()) return false;
      out.push_back(it->second);
    }
    return true;
  };
  for (auto& key : current.unique_keys) {
    std::vector<size_t> mapped;
    if (map_key(key, mapped)) logged.unique_keys.push_back(mapped);
  }
  for (auto& key : current.not_null_unique_keys) {
    std::vector<size_t> mapped;
    if (map_key(key, mapped)) logged.not_null_unique_keys.push_back(mapped);
  }
  if (logged.primary_key.empty()) {
    std::vector<size_t> mapped;
    if (map_key(current.primary_key, mapped)) logged.primary_key = mapped;
  }
  for (auto& c : current.columns)
    if (auto it = index.find(c.name); it != index.end()) {
      logged.columns[it->second].generated = c.generated;
      logged.columns[it->second].fsp = c.fsp;
    }
}

// The table map with the fractional digits of MariaDB 5.3 hires temporal columns filled in from
// the table's structure (the binlog does not carry them); nullopt when the table has none.
std::optional<binlog::table_map_event> with_legacy_fsp(const binlog::table_map_event& table,
                                                       const table_schema& schema) {
  std::optional<binlog::table_map_event> patched;
  for (size_t i = 0; i < table.columns.size() && i < schema.columns.size(); ++i) {
    auto type = table.columns[i].real_type;
    bool legacy = type == binlog::column_type::time || type == binlog::column_type::datetime ||
                  type == binlog::column_type::timestamp;
    if (!legacy || schema.columns[i].fsp == 0) continue;
    if (!patched) patched = table;
    patched->columns[i].legacy_fsp = schema.columns[i].fsp;
  }
  return patched;
}

caf::expected<std::shared_ptr<const table_schema>> resolve_schema(
    self_ptr self, const binlog::table_map_event& table) {
  auto& st = self->state;
  auto key = table.db + '\0' + table.table;
  if (auto it = st.schemas.find(key); it != st.schemas.end()) return it->second;
  std::optional<table_schema> schema;
  if (table.has_column_names) {
    if (!st.charsets && table.has_charsets) {
      auto conn = schema_connection(self);
      if (!conn) return conn.error();
      auto charsets = load_collation_charsets(**conn);
      if (!charsets) return charsets.error();
      st.charsets = std::move(*charsets);
    }
    schema = schema_from_table_map(table, st.charsets ? *st.charsets : collation_charsets{});
  }
  // Table maps never carry unique keys (and carry nothing without binlog_row_metadata=FULL):
  // ask the upstream, and map its keys by column name onto the binlog's columns.
  auto conn = schema_connection(self);
  if (!conn) return conn.error();
  auto loaded = load_table_schema(**conn, table.db, table.table);
  if (!loaded && code_of(loaded.error()) != ec::not_found) return loaded.error();
  if (schema && loaded) {
    merge_keys_by_name(*schema, *loaded);
  } else if (!schema && loaded && loaded->columns.size() == table.columns.size()) {
    schema = std::move(*loaded);
  } else if (!schema) {
    return make_error(
        ec::unsupported,
        st.label + ": the structure of " + sql::qualified_name(table.db, table.table) +
            " at this binlog position is unknown: the binlog carries no column names and the "
            "table now differs upstream; set binlog_row_metadata=FULL on the upstream");
  }
  auto shared = std::make_shared<const table_schema>(std::move(*schema));
  st.schemas.emplace(std::move(key), shared);
  return shared;
}

// Dispatches the rows of the current rows event from row_index on. False when dispatch must
// wait (credits or a key conflict); it then resumes at the same row.
caf::expected<bool> dispatch_rows(self_ptr self) {
  auto& st = self->state;
  auto batch_size = std::max<uint32_t>(1, st.instance.syncer.batch);
  std::vector<std::string> keys;
  for (; st.row_index < st.rows.size(); ++st.row_index) {
    auto& change = st.rows[st.row_index];
    keys.clear();
    append_causality_keys(*st.rows_schema, st.rows_target, change.before, keys);
    append_causality_keys(*st.rows_schema, st.rows_target, change.after, keys);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    auto target = st.causes->route(keys);
    if (!target) {
      if (auto err = send_all_open(self)) return err;
      st.holding = hold::conflict;
      return false;
    }
    auto a = *target;
    auto& batch = st.open[a];
    if (batch.jobs.size() >= batch_size && st.credits[a] == 0) {
      st.holding = hold::credit;
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
    job.safe = safe_mode_active(st);
    job.before = std::move(change.before);
    job.after = std::move(change.after);
    batch.jobs.push_back(std::move(job));
    st.causes->hold(keys, a);
    auto& flight = st.in_flight[batch.seq];
    flight.first.insert(flight.first.end(), keys.begin(), keys.end());
    ++flight.second;
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

// Applies a schema change downstream. REQUIRES: every applier drained.
caf::error apply_ddl(self_ptr self, const binlog::query_event& q, sql::statement_kind kind,
                     const binlog_position& at) {
  auto& st = self->state;
  if (is_system_schema(q.db)) {
    DM_INFO("{} skips {} in system schema {} at {}", st.label, sql::to_string(kind), q.db,
            to_string(at));
    return caf::none;
  }
  auto conn = ddl_connection(self);
  if (!conn) return conn.error();
  if (!q.db.empty()) {
    std::string use = "USE ";
    sql::append_identifier(use, q.db);
    if (auto err = (*conn)->execute(use)) {
      // CREATE DATABASE issued while its own name was the default database, and the like.
      if ((*conn)->last_errno() != 1049) {
        st.ddl_conn.reset();
        return err;
      }
    }
  }
  if (auto err = (*conn)->execute(q.query)) {
    auto errnum = (*conn)->last_errno();
    if (safe_mode_active(st) && is_already_applied(errnum)) {
      DM_INFO("{} finds {} at {} applied already: {}", st.label, sql::to_string(kind),
              to_string(at), describe(err));
    } else {
      st.ddl_conn.reset();
      if (is_resumable(err)) return err;
      return make_error(code_of(err), describe(err) + " (DDL at " + to_string(at) + ": " +
                                          excerpt(q.query) + ")");
    }
  }
  st.schemas.clear();
  DM_INFO("{} applied {} at {}", st.label, sql::to_string(kind), to_string(at));
  return caf::none;
}

// Processes one relay event. False when it must be processed again later (dispatch on hold);
// the event is then not consumed.
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
    auto decoded = st.decoder.decode(stored.bytes);
    if (!decoded)
      return make_error(code_of(decoded.error()),
                        st.label + ": relay event at " + st.current_file + ":" +
                            std::to_string(stored.key.offset) + ": " + describe(decoded.error()));
    st.view = decoded->view;
    auto& body = decoded->body;
    if (std::holds_alternative<binlog::format_description>(body)) {
      st.format_file = {stored.key.segment, stored.key.file_index};
    } else if (auto* rot = std::get_if<binlog::rotate_event>(&body)) {
      rotate = *rot;
    } else if (auto* q = std::get_if<binlog::query_event>(&body)) {
      auto kind = sql::classify_statement(q->query);
      if (kind != sql::statement_kind::transaction_control) {
        if (!sql::is_replicated_ddl(kind)) {
          DM_INFO("{} skips a statement at {}:{}: {}", st.label, st.current_file,
                  stored.key.offset, excerpt(q->query, 120));
        } else {
          if (!st.commits.idle()) {
            if (auto err = send_all_open(self)) return err;
            st.holding = hold::drain;
            return false;
          }
          if (auto err = apply_ddl(self, *q, kind, {st.current_file, stored.key.offset}))
            return err;
          was_ddl = true;
        }
      }
    } else if (auto* rows = std::get_if<binlog::rows_event>(&body)) {
      const auto& table = *decoded->table;
      if (!is_system_schema(table.db)) {
        auto schema = resolve_schema(self, table);
        if (!schema) return schema.error();
        auto legacy = with_legacy_fsp(table, **schema);
        auto changes = binlog::decode_rows(*rows, legacy ? *legacy : table);
        if (!changes)
          return make_error(code_of(changes.error()),
                            st.label + ": relay event at " + st.current_file + ":" +
                                std::to_string(stored.key.offset) + ": " +
                                describe(changes.error()));
        st.rows = std::move(*changes);
        st.row_index = 0;
        st.rows_schema = std::move(*schema);
        st.rows_target = sql::qualified_name(table.db, table.table);
        st.rows_kind = rows->kind;
        st.rows_active = true;
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
  if (outcome->at_boundary)
    st.commits.boundary(sync_position{next, {st.current_file, next.offset}, st.gtids.to_string(),
                                      st.view.header.timestamp});
  if (was_ddl) {
    advance_checkpoint(self);
    if (auto err = persist_checkpoint(self, true)) return err;
  }
  return true;
}

void fail(self_ptr self, caf::error err) {
  DM_WARN("{} stopped: {}", self->state.label, describe(err));
  self->quit(std::move(err));
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
    auto done = process(self, st.pending[st.pending_index]);
    if (!done) return fail(self, done.error());
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

// Starts reading once the source answered the subscription.
caf::error start(self_ptr self, const relay_progress& progress) {
  auto& st = self->state;
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
  st.current_file = st.checkpoint.position.file;
  st.current_file_index = binlog_file_index(st.current_file).value_or(0);
  auto gtids = gtid_set::parse(st.checkpoint.gtid_set);
  st.gtids = gtids ? *gtids : gtid_set{};
  // Until it stops in order, this run counts as unclean.
  st.checkpoint.clean_stop = false;
  if (auto err = persist_checkpoint(self, true)) return err;
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
  st.checkpoints = std::make_unique<storage::checkpoint_store>(db);
  auto workers = std::max<uint32_t>(1, st.instance.syncer.worker_count);
  st.causes = std::make_unique<causality>(workers);
  st.credits.assign(workers, applier_credits);
  st.open.resize(workers);
  for (uint32_t i = 0; i < workers; ++i)
    st.appliers.push_back(self->spawn<caf::detached + caf::linked>(
        applier, i, st.task.target_database,
        "applier " + std::to_string(i) + " of task " + st.task_name, syncer_actor{self}));
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.started) {
      // Orderly only when nothing is in flight: then nothing beyond the checkpoint was applied.
      st.checkpoint.clean_stop = st.commits.idle() && !st.rows_active;
      if (auto err = persist_checkpoint(self, true))
        DM_ERROR("{} could not save its checkpoint: {}", st.label, describe(err));
    }
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
          st.causes->release(it->second.first);
          st.rows_applied += it->second.second;
          st.in_flight.erase(it);
        }
        advance_checkpoint(self);
        if (auto err = send_open(self, a)) return fail(self, std::move(err));
        if (st.holding != hold::none) {
          st.holding = hold::none;
          schedule_pump(self);
        }
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
