#include "actors/dumper.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <caf/all.hpp>

#include "io/connection_settings.hpp"
#include "actors/dump_reader.hpp"
#include "sync/fk_groups.hpp"
#include "io/sync_start.hpp"
#include "sync/online_ddl.hpp"
#include "sync/table_rules.hpp"
#include "io/implicit_fk_indexes.hpp"
#include "io/upstream_position.hpp"
#include "protocol/binlog/event_header.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "protocol/schema_loader.hpp"
#include "protocol/sql/dump_rows.hpp"
#include "protocol/sql/quote.hpp"
#include "storage/checkpoint_store.hpp"
#include "storage/dump_store.hpp"

namespace dm {

namespace {

using self_ptr = dumper_actor::stateful_pointer<dumper_state>;
using table_key = std::pair<std::string, std::string>;

// The connections of one snapshot, with the binlog position (and GTID set) each one reads at.
struct snapshot {
  std::vector<std::shared_ptr<mysql_connection>> connections;
  std::vector<binlog_position> positions;
  std::vector<std::string> gtids;
};

// MariaDB reports the binlog position a consistent snapshot reads at; elsewhere the current
// position right after the snapshot opened stands in for it.
caf::expected<binlog_position> snapshot_position(mysql_connection& conn) {
  auto rows = conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
  if (rows) {
    binlog_position p;
    for (auto& r : *rows) {
      if (r[0] == std::string{"Binlog_snapshot_file"} && r[1]) p.file = *r[1];
      if (r[0] == std::string{"Binlog_snapshot_position"} && r[1])
        p.pos = static_cast<uint32_t>(to_unsigned(*r[1]).value_or(0));
    }
    if (!p.file.empty()) return p;
  }
  return current_binlog_position(conn);
}

caf::expected<snapshot> open_snapshot(self_ptr self, size_t count) {
  auto& st = self->state;
  auto params = to_connection_params(st.source.from);
  auto label = "upstream of source " + st.source.source_id + " (" + st.source.from.host + ":" +
               std::to_string(st.source.from.port) + ")";
  bool locked = st.instance.dumper.consistency == dump_consistency::flush;
  std::optional<mysql_connection> control;
  if (locked) {
    auto conn = mysql_connection::open(params, server_role::upstream, label);
    if (!conn) return conn.error();
    control.emplace(std::move(*conn));
    if (auto err = control->execute("FLUSH TABLES WITH READ LOCK"))
      return make_error(ec::upstream_access_denied,
                        st.label + ": FLUSH TABLES WITH READ LOCK failed (" + describe(err) +
                            "); grant RELOAD to the user, or set extra-args: "
                            "\"--consistency none\" under mydumpers");
  }
  snapshot snap;
  for (size_t i = 0; i < count; ++i) {
    auto conn = mysql_connection::open(params, server_role::upstream, label);
    if (!conn) return conn.error();
    if (auto err = conn->execute(
            "SET NAMES binary; SET SESSION time_zone = '+00:00', SESSION sql_mode = ''; "
            "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; "
            "START TRANSACTION WITH CONSISTENT SNAPSHOT"))
      return err;
    if (!locked) {
      auto pos = snapshot_position(*conn);
      if (!pos) return pos.error();
      snap.positions.push_back(*pos);
      snap.gtids.push_back(executed_gtid_set(*conn));
    }
    snap.connections.push_back(std::make_shared<mysql_connection>(std::move(*conn)));
  }
  if (locked) {
    auto pos = current_binlog_position(*control);
    if (!pos) return pos.error();
    auto gtid = executed_gtid_set(*control);
    if (auto err = control->execute("UNLOCK TABLES")) return err;
    snap.positions.assign(count, *pos);
    snap.gtids.assign(count, gtid);
  }
  if (st.task.task_mode == task_mode::all && snap.positions.front().empty())
    return make_error(ec::upstream_misconfigured,
                      st.label + ": the upstream has no binlog position (log_bin off?); "
                                 "task-mode all needs the binlog from the snapshot on");
  DM_INFO("{} opened {} snapshot connection(s) at {}{}", st.label, count,
          to_string(snap.positions.front()), locked ? " (consistent, FTWRL)" : " (lock-free)");
  return snap;
}

// CREATE DATABASE / TABLE IF NOT EXISTS for the target, from the upstream's own statement.
caf::expected<std::string> create_statement(mysql_connection& conn, const std::string& kind,
                                            const std::string& show_name,
                                            const std::string& shown_name,
                                            const std::string& target) {
  auto rows = conn.query("SHOW CREATE " + kind + " " + show_name);
  if (!rows) return rows.error();
  if (rows->empty() || (*rows)[0].size() < 2 || !(*rows)[0][1])
    return make_error(ec::not_found, "SHOW CREATE " + kind + " " + show_name + " returned nothing");
  const auto& text = *(*rows)[0][1];
  auto prefix = "CREATE " + kind + " " + shown_name;
  if (text.compare(0, prefix.size(), prefix) != 0)
    return make_error(ec::unsupported, "SHOW CREATE " + kind + " " + show_name +
                                           " does not start with '" + prefix + "'");
  return "CREATE " + kind + " IF NOT EXISTS " + target + text.substr(prefix.size());
}

caf::error write_text_file(const std::string& path, const std::string& text) {
  {
    std::ofstream out{path + ".tmp", std::ios::binary | std::ios::trunc};
    out << text;
    if (!out) return make_error(ec::io_failed, "cannot write dump file " + path);
  }
  std::error_code fs_error;
  std::filesystem::rename(path + ".tmp", path, fs_error);
  if (fs_error)
    return make_error(ec::io_failed, "cannot complete dump file " + path + ": " +
                                         fs_error.message());
  return caf::none;
}

// "<db>-schema-create.sql" and "<db>.<table>-schema.sql": the CREATE statements the loader
// runs, for the operator (the loader reads its copies in RocksDB).
caf::error write_schema_files(const std::string& dir, const storage::dump_table& t) {
  auto db = sql::file_name_part(t.db);
  if (auto err = write_text_file(dir + "/" + db + "-schema-create.sql", t.create_database + ";\n"))
    return err;
  return write_text_file(dir + "/" + db + "." + sql::file_name_part(t.table) + "-schema.sql",
                         t.create_table + ";\n");
}

// Names the foreign-key group (fk_groups.hpp) of each chosen table that a foreign key links to
// another upstream table.
caf::error assign_fk_groups(mysql_connection& conn, std::vector<storage::dump_table>& tables) {
  auto rows = conn.query(
      "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME "
      "FROM information_schema.REFERENTIAL_CONSTRAINTS");
  if (!rows) return rows.error();
  std::vector<fk_edge> edges;
  for (auto& r : *rows)
    if (r.size() == 4 && r[0] && r[1] && r[2] && r[3])
      edges.push_back({sql::qualified_name(*r[0], *r[1]), sql::qualified_name(*r[2], *r[3])});
  auto groups = fk_groups(edges);
  for (auto& t : tables)
    if (auto it = groups.find(sql::qualified_name(t.db, t.table)); it != groups.end())
      t.fk_group = it->second;
  return caf::none;
}

// A resumed dump reads what is left at a new snapshot. The tables of a foreign-key group must
// all come from one snapshot (their cascades are not in the binlog, so replaying across two
// snapshots cannot reconcile them): when a group has something left to dump, its chunks copied
// at the old snapshot are dumped again too, and loaded in place of what they loaded (reload).
caf::error regroup_fk_chunks(self_ptr self, std::vector<storage::dump_chunk>& chunks) {
  auto& st = self->state;
  std::set<std::string> moving;
  for (auto& [key, t] : st.tables)
    if (!t.fk_group.empty() && !t.planned) moving.insert(t.fk_group);
  for (auto& c : chunks) {
    auto& group = st.tables.at({c.db, c.table}).fk_group;
    if (!group.empty() && c.stage == storage::chunk_stage::planned) moving.insert(group);
  }
  size_t again = 0;
  for (auto& c : chunks) {
    if (c.stage == storage::chunk_stage::planned) continue;
    if (!moving.count(st.tables.at({c.db, c.table}).fk_group)) continue;
    c.stage = storage::chunk_stage::planned;
    c.reload = true;
    if (auto err = st.store->save_chunk(c)) return err;
    ++again;
  }
  if (again > 0)
    DM_INFO("{} dumps {} chunk(s) of foreign-key linked tables again, so that each group of "
            "them is read at one snapshot", st.label, again);
  return caf::none;
}

// Records which keys of `t` the upstream made implicitly for a foreign key, on `probe`, a
// connection of its own opened at the first table that has such a candidate (the probe's ALTER
// would end a snapshot's transaction). When the upstream cannot tell, the keys are copied as
// explicit ones, with a warning: they then stay downstream if a later ADD INDEX upstream makes
// the server drop its implicit one.
caf::error find_implicit_indexes(self_ptr self, std::optional<mysql_connection>& probe,
                                 storage::dump_table& t) {
  auto& st = self->state;
  auto candidates = sql::foreign_key_index_candidates(t.create_table);
  if (candidates.empty()) return caf::none;
  if (!probe) {
    auto conn = mysql_connection::open(to_connection_params(st.source.from),
                                       server_role::upstream,
                                       "upstream of source " + st.source.source_id);
    if (!conn) return conn.error();
    probe.emplace(std::move(*conn));
  }
  auto implicit = implicit_fk_indexes(*probe, t.db, t.table, candidates);
  if (implicit) {
    t.implicit_indexes = std::move(*implicit);
    return caf::none;
  }
  DM_WARN("{} cannot tell whether the upstream made the index(es) of {} that back its foreign "
          "keys by itself ({}); they are copied as explicit indexes, which a later ADD INDEX "
          "upstream over the same columns does not drop downstream (grant CREATE TEMPORARY "
          "TABLES on its database to avoid this)",
          st.label, sql::qualified_name(t.db, t.table), describe(implicit.error()));
  return caf::none;
}

// Chooses the tables of the first run: base tables the block-allow list keeps, routed; never
// the shadow and trash tables of online schema changes (with online-ddl on).
caf::error choose_tables(self_ptr self, mysql_connection& conn) {
  auto& st = self->state;
  auto rules = table_rules::compile(st.instance);
  if (!rules) return rules.error();
  auto online = online_ddl_rules::compile(st.task.online_ddl);
  if (!online) return online.error();
  // collation_compatible strict: the CREATE statements name each character set's collation.
  sql::default_collations collations;
  if (st.task.strict_collations) {
    auto defaults = load_default_collations(conn);
    if (!defaults) return defaults.error();
    collations = std::move(*defaults);
  }
  auto rows = conn.query(
      "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
      "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN "
      "('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1, 2");
  if (!rows) return rows.error();
  std::vector<storage::dump_table> chosen;
  std::optional<mysql_connection> probe;
  for (auto& r : *rows) {
    if (!r[0] || !r[1]) continue;
    storage::dump_table t;
    t.db = *r[0];
    t.table = *r[1];
    if (!rules->replicated(t.db, t.table) || online->is_helper(t.table)) continue;
    auto target = rules->route(t.db, t.table);
    if (!target) return target.error();
    t.target_db = target->first;
    t.target_table = target->second;
    t.constant_columns = rules->extracted_columns(t.db, t.table);
    t.estimated_rows = r[2] ? to_unsigned(*r[2]).value_or(0) : 0;
    std::string db_name, table_name;
    sql::append_identifier(db_name, t.db);
    sql::append_identifier(table_name, t.table);
    std::string target_db;
    sql::append_identifier(target_db, t.target_db);
    auto create_db = create_statement(conn, "DATABASE", db_name, db_name, target_db);
    if (!create_db) return create_db.error();
    auto create_table = create_statement(conn, "TABLE", sql::qualified_name(t.db, t.table),
                                         table_name,
                                         sql::qualified_name(t.target_db, t.target_table));
    if (!create_table) return create_table.error();
    t.create_database = sql::pin_default_collations(*create_db, collations);
    t.create_table = sql::pin_default_collations(*create_table, collations);
    if (auto err = find_implicit_indexes(self, probe, t)) return err;
    chosen.push_back(std::move(t));
  }
  if (auto err = assign_fk_groups(conn, chosen)) return err;
  if (st.instance.dumper.consistency != dump_consistency::flush)
    for (auto& t : chosen)
      if (!t.fk_group.empty())
        return make_error(ec::invalid_config,
                          st.label + ": " + sql::qualified_name(t.db, t.table) +
                              " is linked to other tables by foreign keys, which must be copied "
                              "at one snapshot; --consistency none reads each connection at its "
                              "own; remove it from mydumpers extra-args (flush is the default)");
  for (auto& t : chosen)
    if (auto err = write_schema_files(st.dir, t)) return err;
  if (auto err = st.store->save_tables(chosen)) return err;
  for (auto& t : chosen) st.tables[{t.db, t.table}] = t;
  DM_INFO("{} chose {} table(s) to dump", st.label, chosen.size());
  return caf::none;
}

void report(self_ptr self) {
  auto& st = self->state;
  auto& c = st.counters;
  c.tables_total = static_cast<uint32_t>(st.tables.size());
  c.chunks_total = static_cast<uint32_t>(st.chunks.size());
  c.rows_total = 0;
  for (auto& [key, t] : st.tables)
    if (!t.planned) c.rows_total += t.estimated_rows;
  for (auto& [id, chunk] : st.chunks) c.rows_total += chunk.rows;
  self->send(st.parent, progress_atom_v, c);
}

void dispatch(self_ptr self);

void finish_if_done(self_ptr self) {
  auto& st = self->state;
  if (!st.to_plan.empty() || !st.to_dump.empty() || !st.to_hand_over.empty() ||
      st.busy_readers > 0)
    return;
  st.counters.finished = true;
  report(self);
  self->send(st.loader, dump_done_atom_v);
  DM_INFO("{} dumped every chunk", st.label);
  for (auto& reader : st.idle_readers) self->send_exit(reader, caf::exit_reason::user_shutdown);
  st.idle_readers.clear();
  self->quit();
}

void hand_over(self_ptr self) {
  auto& st = self->state;
  while (!st.to_hand_over.empty() && st.handed_over < st.max_unloaded) {
    auto& chunk = st.chunks.at(st.to_hand_over.front());
    st.to_hand_over.pop_front();
    ++st.handed_over;
    self->send(st.loader, chunk_dumped_atom_v, st.tables.at({chunk.db, chunk.table}), chunk);
  }
}

void on_failure(self_ptr self, const caf::error& err) {
  DM_ERROR("{} failed: {}", self->state.label, describe(err));
  self->quit(err);
}

// Removes and returns the first chunk to dump of the table with the fewest chunks in the
// pipeline; to_dump must not be empty.
std::string take_next_to_dump(dumper_state& st) {
  auto best = st.to_dump.begin();
  size_t best_count = SIZE_MAX;
  for (auto it = st.to_dump.begin(); it != st.to_dump.end() && best_count > 0; ++it) {
    auto& c = st.chunks.at(*it);
    auto count = st.in_pipeline[{c.db, c.table}];
    if (count < best_count) {
      best = it;
      best_count = count;
    }
  }
  auto id = *best;
  st.to_dump.erase(best);
  auto& c = st.chunks.at(id);
  ++st.in_pipeline[{c.db, c.table}];
  return id;
}

void dispatch(self_ptr self) {
  auto& st = self->state;
  hand_over(self);
  while (!st.idle_readers.empty()) {
    auto reader = st.idle_readers.back();
    if (!st.to_plan.empty()) {
      auto key = st.to_plan.front();
      st.to_plan.pop_front();
      st.idle_readers.pop_back();
      ++st.busy_readers;
      self->request(reader, caf::infinite, plan_atom_v, st.tables.at(key))
          .then(
              [=](std::vector<storage::dump_chunk>& planned) {
                auto& st = self->state;
                auto& table = st.tables.at(key);
                table.planned = true;
                table.keyless = !planned.empty() && planned.front().whole_table;
                if (auto err = st.store->save_plan(table, planned)) return on_failure(self, err);
                for (auto& c : planned) {
                  st.to_dump.push_back(c.id);
                  st.chunks[c.id] = std::move(c);
                }
                --st.busy_readers;
                st.idle_readers.push_back(reader);
                report(self);
                dispatch(self);
              },
              [=](caf::error& err) { on_failure(self, err); });
      continue;
    }
    // Dump only while the chunks on disk and not yet loaded stay within bounds.
    if (st.to_dump.empty() ||
        st.handed_over + st.to_hand_over.size() + st.dumping >= st.max_unloaded)
      break;
    auto id = take_next_to_dump(st);
    st.idle_readers.pop_back();
    ++st.busy_readers;
    ++st.dumping;
    auto& chunk = st.chunks.at(id);
    self->request(reader, caf::infinite, dump_atom_v, st.tables.at({chunk.db, chunk.table}), chunk)
        .then(
            [=](storage::dump_chunk& dumped) {
              auto& st = self->state;
              if (auto err = st.store->save_chunk(dumped)) return on_failure(self, err);
              DM_DEBUG("{} dumped chunk {} ({} rows)", st.label, dumped.id, dumped.rows);
              ++st.counters.chunks_dumped;
              st.counters.rows_dumped += dumped.rows;
              st.counters.bytes_dumped += dumped.bytes;
              st.chunks[id] = std::move(dumped);
              st.to_hand_over.push_back(id);
              --st.busy_readers;
              --st.dumping;
              st.idle_readers.push_back(reader);
              report(self);
              dispatch(self);
            },
            [=](caf::error& err) { on_failure(self, err); });
  }
  finish_if_done(self);
}

// Whether the chunk's data files hold exactly the bytes it was dumped with.
bool files_intact(const std::string& dir, const storage::dump_chunk& chunk) {
  if (chunk.files.empty()) return false;
  uint64_t bytes = 0;
  uint32_t crc = 0;
  std::vector<char> buffer(1 << 20);
  for (auto& f : chunk.files) {
    std::ifstream in{dir + "/" + f, std::ios::binary};
    if (!in) return false;
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      auto n = static_cast<size_t>(in.gcount());
      bytes += n;
      crc = binlog::crc32_of({buffer.data(), n}, crc);
    }
    if (in.bad()) return false;
  }
  return bytes == chunk.bytes && crc == chunk.crc32;
}

caf::error start(self_ptr self) {
  auto& st = self->state;
  std::error_code fs_error;
  std::filesystem::create_directories(st.dir, fs_error);
  if (fs_error)
    return make_error(ec::io_failed, st.label + ": cannot create dump directory " + st.dir +
                                         ": " + fs_error.message());
  auto tables = st.store->tables();
  if (!tables) return tables.error();
  bool first_run = tables->empty();
  for (auto& t : *tables) {
    if (!t.planned) st.to_plan.push_back({t.db, t.table});
    st.tables[{t.db, t.table}] = std::move(t);
  }
  auto chunks = st.store->chunks();
  if (!chunks) return chunks.error();
  size_t resumed = 0;
  for (auto& c : *chunks)
    if (c.stage == storage::chunk_stage::dumped && !files_intact(st.dir, c)) {
      DM_WARN("{}: the data files of chunk {} are missing or damaged; it is dumped again",
              st.label, c.id);
      c.stage = storage::chunk_stage::planned;
    }
  if (!first_run)
    if (auto err = regroup_fk_chunks(self, *chunks)) return err;
  for (auto& c : *chunks) {
    if (c.stage == storage::chunk_stage::planned) {
      st.to_dump.push_back(c.id);
    } else {
      ++resumed;
      ++st.counters.chunks_dumped;
      st.counters.rows_dumped += c.rows;
      st.counters.bytes_dumped += c.bytes;
      if (c.stage == storage::chunk_stage::dumped) {
        st.to_hand_over.push_back(c.id);
        ++st.in_pipeline[{c.db, c.table}];
      }
    }
    st.chunks[c.id] = std::move(c);
  }
  if (resumed > 0)
    DM_INFO("{} resumes: {} chunk(s) already dumped are not dumped again, {} left", st.label,
            resumed, st.to_dump.size());
  if (first_run || !st.to_plan.empty() || !st.to_dump.empty()) {
    auto snap = open_snapshot(self, std::max<uint32_t>(1, st.instance.dumper.threads));
    if (!snap) return snap.error();
    if (first_run) {
      if (auto err = choose_tables(self, *snap->connections.front())) return err;
      for (auto& [key, t] : st.tables) st.to_plan.push_back(key);
      storage::checkpoint_store checkpoints{st.db};
      auto existing = checkpoints.load_sync(st.task.name, st.source.source_id);
      if (!existing) return existing.error();
      if (st.task.task_mode == task_mode::all && !*existing) {
        // Hold the relay at the snapshot until sync starts there.
        if (auto err = save_sync_start(st.db, st.task.name, st.source.source_id,
                                       snap->positions.front(), snap->gtids.front(),
                                       snap->positions.front()))
          return err;
      }
    }
    for (size_t i = 0; i < snap->connections.size(); ++i)
      st.idle_readers.push_back(self->spawn<caf::detached + caf::linked>(
          dump_reader, snap->connections[i], snap->positions[i], snap->gtids[i], st.dir,
          st.instance.dumper.rows));
  }
  report(self);
  dispatch(self);
  return caf::none;
}

}  // namespace

dumper_actor::behavior_type dumper(dumper_actor::stateful_pointer<dumper_state> self,
                                   task_config task, source_config source,
                                   std::shared_ptr<storage::database> db, task_actor parent,
                                   loader_actor loader, std::string dir) {
  auto& st = self->state;
  st.task = std::move(task);
  st.source = std::move(source);
  st.instance = *find_instance(st.task, st.source.source_id);
  st.db = std::move(db);
  st.store = std::make_unique<storage::dump_store>(st.db, st.task.name, st.source.source_id);
  st.parent = std::move(parent);
  st.loader = std::move(loader);
  st.dir = std::move(dir);
  st.label = "dumper of task " + st.task.name + " on source " + st.source.source_id;
  st.max_unloaded = 2 * static_cast<size_t>(std::max<uint32_t>(1, st.instance.loader.pool_size));
  if (auto err = start(self)) {
    on_failure(self, err);
    return {[](chunk_loaded_atom, const std::string&) {}};
  }
  return {
      [=](chunk_loaded_atom, const std::string& id) {
        auto& st = self->state;
        if (st.handed_over > 0) --st.handed_over;
        if (auto it = st.chunks.find(id); it != st.chunks.end()) {
          auto& count = st.in_pipeline[{it->second.db, it->second.table}];
          if (count > 0) --count;
        }
        dispatch(self);
      },
  };
}

}  // namespace dm
