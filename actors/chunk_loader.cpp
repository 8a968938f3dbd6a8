#include "actors/chunk_loader.hpp"

#include <mysqld_error.h>

#include <caf/all.hpp>

#include "io/connection_settings.hpp"
#include "io/meta_tables.hpp"
#include "sync/downstream_meta.hpp"
#include "io/loaded_chunks.hpp"
#include "protocol/downstream_session.hpp"
#include "common/log.hpp"
#include "protocol/sql/dump_rows.hpp"
#include "protocol/sql/quote.hpp"
#include "protocol/sql/foreign_key_indexes.hpp"
#include "sync/downstream_fence.hpp"
#include "protocol/sql/secondary_indexes.hpp"
#include "storage/dump_store.hpp"

namespace dm {

namespace {

using self_ptr = chunk_loader_actor::stateful_pointer<chunk_loader_state>;

std::string marks_table(const chunk_loader_state& st) {
  return meta_table(st.scope.meta_schema, "load_marks");
}

std::string mark_condition(const chunk_loader_state& st, const std::string& chunk) {
  auto out = scope_condition(st.scope);
  out += " AND chunk = ";
  sql::append_escaped(out, chunk);
  return out;
}

// Whether the chunk's mark can be trusted: it is of this run, and the target table exists and
// holds at least as many rows where the chunk's rows go as the chunk has (the table was not
// dropped or emptied since; only the loader writes to it before sync starts).
caf::expected<bool> trust_mark(self_ptr self, const storage::dump_table& t,
                               const storage::dump_chunk& chunk) {
  auto& st = self->state;
  auto marked = st.conn->query("SELECT run FROM " + marks_table(st) + mark_condition(st, chunk.id));
  if (!marked) return marked.error();
  if (marked->empty()) return false;
  if (!(*marked)[0][0] || *(*marked)[0][0] != std::to_string(st.run)) return false;
  auto missing = missing_chunk_rows(*st.conn, t, chunk);
  if (!missing) return missing.error();
  if (!*missing) return true;
  DM_WARN("loader of task {}: chunk {} is marked loaded, but {}; loading it again", st.task,
          chunk.id, **missing);
  return false;
}

caf::expected<bool> table_exists(mysql_connection& conn, const std::string& db,
                                 const std::string& table) {
  std::string query = "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ";
  sql::append_escaped(query, db);
  query += " AND TABLE_NAME = ";
  sql::append_escaped(query, table);
  auto rows = conn.query(query);
  if (!rows) return rows.error();
  return !rows->empty();
}

// The key and foreign key names the downstream's `db`.`table` has.
caf::expected<sql::declared_names> downstream_key_names(mysql_connection& conn,
                                                       const std::string& db,
                                                       const std::string& table) {
  sql::declared_names out;
  // "<schema column> = 'db' AND TABLE_NAME = 'table'"
  auto names_table = [&](const char* schema_column) {
    std::string where = std::string{schema_column} + " = ";
    sql::append_escaped(where, db);
    where += " AND TABLE_NAME = ";
    sql::append_escaped(where, table);
    return where;
  };
  auto keys = conn.query("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE " +
                         names_table("TABLE_SCHEMA"));
  if (!keys) return keys.error();
  for (auto& r : *keys)
    if (r[0]) out.keys.insert(*r[0]);
  auto constraints = conn.query(
      "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE " +
      names_table("CONSTRAINT_SCHEMA"));
  if (!constraints) return constraints.error();
  for (auto& r : *constraints)
    if (r[0]) out.foreign_keys.insert(*r[0]);
  return out;
}

// Creates `t` (known not to exist) so that the keys the upstream made implicitly for its
// foreign keys are implicit downstream too (sql::fold_implicit_indexes). What the downstream then
// lacks (a key the server named otherwise, or made no index for: a TiDB that ignores foreign
// keys) is added as an explicit key, with a warning; nothing is dropped, since other loaders may
// be filling the table already. A folded statement the server refuses leaves no table: the
// table is then created as dumped.
caf::error create_with_implicit_indexes(self_ptr self, const storage::dump_table& t) {
  auto& st = self->state;
  auto table = sql::qualified_name(t.target_db, t.target_table);
  auto warn = [&](const std::string& why) {
    DM_WARN("loader of task {}: {}: the index(es) made for its foreign keys {}; a later ADD "
            "INDEX upstream over the same columns drops them there but not downstream",
            st.task, table, why);
  };
  auto folded = sql::fold_implicit_indexes(t.create_table, t.implicit_indexes, t.target_table);
  if (auto refused = st.conn->execute(folded)) {
    warn("are created as explicit ones: the downstream refused them as implicit ones (" +
         describe(refused) + ")");
    return st.conn->execute(t.create_table);
  }
  auto made = downstream_key_names(*st.conn, t.target_db, t.target_table);
  if (!made) return made.error();
  auto wanted = sql::declared_key_names(t.create_table);
  std::vector<std::string> added;
  for (auto& [name, definition] : wanted.plain_keys) {
    if (made->keys.count(name)) continue;
    auto alter = "ALTER TABLE " + table + " ADD " + definition;
    if (auto err = st.conn->execute(alter))
      if (st.conn->last_errno() != ER_DUP_KEYNAME) return err;
    added.push_back(name);
  }
  if (!added.empty()) {
    std::string names;
    for (auto& name : added) names += (names.empty() ? "" : ", ") + name;
    warn("are partly explicit: the downstream did not make " + names + " by itself");
  }
  if (made->foreign_keys != wanted.foreign_keys)
    DM_WARN("loader of task {}: the foreign keys of {} are named otherwise downstream than "
            "upstream",
            st.task, table);
  return caf::none;
}

// Creates the target database and table unless they exist. A table it creates gets its
// secondary indexes only after the load (recorded first, so that a crash cannot forget them),
// and the indexes the upstream made implicitly for foreign keys made the same way; an existing
// table is used as it is.
caf::error ensure_table(self_ptr self, const storage::dump_table& t) {
  auto& st = self->state;
  auto key = std::make_pair(t.target_db, t.target_table);
  if (st.created.count(key)) return caf::none;
  if (auto err = st.conn->execute(t.create_database)) return err;
  if (!t.implicit_indexes.empty()) {
    auto exists = table_exists(*st.conn, t.target_db, t.target_table);
    if (!exists) return exists.error();
    if (!*exists) {
      if (auto err = create_with_implicit_indexes(self, t)) return err;
      st.created.insert(key);
      return caf::none;
    }
  }
  auto split = sql::split_secondary_indexes(t.create_table);
  auto create = &t.create_table;
  if (!split.indexes.empty()) {
    auto exists = table_exists(*st.conn, t.target_db, t.target_table);
    if (!exists) return exists.error();
    if (!*exists) {
      if (auto err = st.store->save_deferred({t.target_db, t.target_table, split.indexes}))
        return err;
      create = &split.create_table;
    }
  }
  if (auto err = st.conn->execute(*create)) return err;
  st.created.insert(key);
  return caf::none;
}

// ALTER TABLE ... ADD each deferred index: all in one statement, or, if that fails (an index
// added before a crash is there already, or the downstream takes one change per statement),
// one by one, where "duplicate key name" means the index is there.
caf::error add_indexes(self_ptr self, const storage::deferred_indexes& deferred) {
  auto& st = self->state;
  auto alter = "ALTER TABLE " + sql::qualified_name(deferred.target_db, deferred.target_table);
  std::string all;
  for (auto& definition : deferred.definitions)
    all += (all.empty() ? " ADD " : ", ADD ") + definition;
  if (!st.conn->execute(alter + all)) return caf::none;
  for (auto& definition : deferred.definitions)
    if (auto err = st.conn->execute(alter + " ADD " + definition))
      if (st.conn->last_errno() != ER_DUP_KEYNAME) return err;
  return caf::none;
}

// Loads the chunk's files into `target` (the quoted table) with LOAD DATA `verb` ("",
// "REPLACE" or "IGNORE") in the open transaction. Returns how many rows were skipped as
// duplicates of keys already in the table; fails on any other warning.
caf::expected<uint64_t> load_files(self_ptr self, const std::string& target,
                                   const storage::dump_chunk& chunk, std::string_view verb) {
  auto& st = self->state;
  uint64_t duplicates = 0;
  for (auto& name : chunk.files) {
    auto path = st.dir + "/" + name;
    std::string statement = "LOAD DATA LOCAL INFILE ";
    sql::append_escaped(statement, path);
    statement += ' ';
    statement += verb;
    statement += " INTO TABLE " + target + ' ';
    statement += sql::load_format;
    statement += ' ' + chunk.load_columns;
    if (auto err = st.conn->load_local_file(statement, path)) {
      if (st.conn->last_errno() == ER_DUP_ENTRY) return uint64_t{1};
      return err;
    }
    auto count = st.conn->warning_count();
    if (count == 0) continue;
    auto warnings = st.conn->query("SHOW WARNINGS");
    if (!warnings) return warnings.error();
    for (auto& w : *warnings) {
      if (w.size() >= 3 && w[1] && *w[1] == std::to_string(ER_DUP_ENTRY)) continue;
      return make_error(ec::downstream_rejected,
                        "loading chunk " + chunk.id + " into " + target + " from " + path +
                            ": the downstream warns: " + (w.size() >= 3 && w[2] ? *w[2] : "?") +
                            "; the value would not be stored exactly, so nothing of the chunk "
                            "was kept; fix the table definition downstream and resume");
    }
    // Every warning shown is a duplicate. If some are not shown (more than max_error_count),
    // a duplicate is still certain, and the caller loads again with REPLACE or refuses; only a
    // load that keeps its skips (IGNORE) needs to see them all.
    if (warnings->size() < count && verb == "IGNORE")
      return make_error(ec::downstream_rejected,
                        "loading chunk " + chunk.id + " from " + path + " raised " +
                            std::to_string(count) + " warnings, more than the downstream "
                            "lists; nothing of the chunk was kept; use smaller mydumpers rows "
                            "or on-duplicate replace");
    duplicates += count;
  }
  return duplicates;
}

caf::error add_mark_and_commit(self_ptr self, const storage::dump_chunk& chunk) {
  auto& st = self->state;
  std::string mark = "INSERT INTO " + marks_table(st) + " (task, source, chunk, run) VALUES (";
  sql::append_escaped(mark, st.task);
  mark += ',';
  sql::append_escaped(mark, st.source);
  mark += ',';
  sql::append_escaped(mark, chunk.id);
  mark += ',' + std::to_string(st.run) + ") ON DUPLICATE KEY UPDATE run = VALUES(run)";
  if (auto err = st.conn->execute(mark)) return err;
  return st.conn->execute("COMMIT");
}

// Loads the chunk and its mark in one transaction, resolving duplicate keys by on_duplicate. A
// table without a key cannot tell the copy's rows from rows it already holds, so its chunk (the
// whole table, in one transaction) is refused if the table is not empty.
caf::error load(self_ptr self, const storage::dump_table& t, const storage::dump_chunk& chunk) {
  auto& st = self->state;
  auto target = sql::qualified_name(t.target_db, t.target_table);
  // Rows of this table downstream: all of them, or (a route merging tables with extract
  // columns) those with its extracted values.
  auto own_rows = own_rows_condition(t, "");
  if (chunk.whole_table && !chunk.reload) {
    auto any = st.conn->query("SELECT 1 FROM " + target +
                              (own_rows.empty() ? "" : " WHERE " + own_rows) + " LIMIT 1");
    if (!any) return any.error();
    if (!any->empty())
      return make_error(ec::downstream_rejected,
                        "loading chunk " + chunk.id + ": the downstream table " + target +
                            " already holds rows, and without a primary or NOT NULL unique key "
                            "the copy's rows cannot be told from them (loading would duplicate "
                            "them); empty it downstream (TRUNCATE) and resume-task");
  }
  // Loads in a new transaction, left open unless loading fails.
  auto attempt = [&](std::string_view verb) -> caf::expected<uint64_t> {
    if (auto err = st.conn->execute("BEGIN")) return err;
    if (st.epoch > 0)
      if (auto err = check_fence(*st.conn, st.scope, loader_writer(st.index), st.epoch, true)) {
        st.conn->execute("ROLLBACK");
        return err;
      }
    if (chunk.reload) {
      // What the chunk loaded at its earlier snapshot goes (foreign key checks are off: no
      // cascades), replaced by what it holds now.
      auto condition = own_rows_condition(t, chunk.condition);
      auto clear = "DELETE FROM " + target + (condition.empty() ? "" : " WHERE " + condition);
      if (auto err = st.conn->execute(clear)) {
        st.conn->execute("ROLLBACK");
        return err;
      }
    }
    auto duplicates = load_files(self, target, chunk, verb);
    if (!duplicates) st.conn->execute("ROLLBACK");
    return duplicates;
  };
  auto duplicates = attempt(st.on_duplicate == on_duplicate::ignore ? "IGNORE" : "");
  if (!duplicates) return duplicates.error();
  if (*duplicates > 0 && st.on_duplicate == on_duplicate::ignore) {
    DM_INFO("loader of task {}: chunk {} skipped {} row(s) whose keys {} already held "
            "(on-duplicate ignore)", st.task, chunk.id, *duplicates, target);
  } else if (*duplicates > 0) {
    st.conn->execute("ROLLBACK");
    if (st.on_duplicate != on_duplicate::replace)
      return make_error(ec::downstream_rejected,
                        "loading chunk " + chunk.id + ": the downstream table " + target +
                            " already holds rows with the same keys; empty it, or set the "
                            "loader's on-duplicate to replace or ignore");
    DM_INFO("loader of task {}: {} already holds keys of chunk {}; loading it with REPLACE "
            "(on-duplicate replace)", st.task, target, chunk.id);
    auto replaced = attempt("REPLACE");
    if (!replaced) return replaced.error();
  }
  if (auto err = add_mark_and_commit(self, chunk)) {
    st.conn->execute("ROLLBACK");
    return err;
  }
  return caf::none;
}

}  // namespace

chunk_loader_actor::behavior_type chunk_loader(
    chunk_loader_actor::stateful_pointer<chunk_loader_state> self, task_config task,
    std::string source, int64_t epoch, std::string dir, std::shared_ptr<storage::database> db,
    uint64_t run, uint32_t index) {
  auto& st = self->state;
  st.epoch = epoch;
  st.index = index;
  st.task = task.name;
  st.source = std::move(source);
  st.scope = {task.meta_schema, st.task, st.source};
  st.run = run;
  st.store = std::make_shared<storage::dump_store>(std::move(db), st.task, st.source);
  st.dir = std::move(dir);
  st.on_duplicate = find_instance(task, st.source)->loader.on_duplicate;
  auto label = "loader of task " + st.task + " on source " + st.source + " (downstream " +
               task.target_database.host + ":" + std::to_string(task.target_database.port) + ")";
  auto params = to_connection_params(task.target_database);
  params.local_files = true;
  auto conn = open_downstream_session(params, label);
  caf::error err;
  if (!conn) err = conn.error();
  else st.conn.emplace(std::move(*conn));
  // Lists up to the most warnings a session can, so that each one is checked.
  if (!err) err = st.conn->execute("SET SESSION max_error_count = 65535");
  if (!err)
    for (auto& ddl : meta_tables_ddl(st.scope.meta_schema))
      if ((err = st.conn->execute(ddl))) break;
  // Marks of other runs (a stopped task of the same name) are of no use to anyone.
  if (!err)
    err = st.conn->execute("DELETE FROM " + marks_table(st) + scope_condition(st.scope) +
                           " AND run <> " + std::to_string(st.run));
  if (err) {
    self->quit(err);
    return {[](load_atom, const storage::dump_table&,
               const storage::dump_chunk&) -> caf::result<storage::dump_chunk, bool> {
              return make_error(ec::unavailable, "loader connection failed");
            },
            [](add_indexes_atom, const storage::deferred_indexes&) -> caf::result<void> {
              return make_error(ec::unavailable, "loader connection failed");
            }};
  }
  return {
      [=](load_atom, const storage::dump_table& t,
          storage::dump_chunk& chunk) -> caf::result<storage::dump_chunk, bool> {
        auto fail = [&](caf::error e) -> caf::result<storage::dump_chunk, bool> {
          self->quit(e);
          return e;
        };
        // A reloaded chunk replaces its range whatever its mark says (reloading is idempotent).
        auto already = chunk.reload ? caf::expected<bool>{false} : trust_mark(self, t, chunk);
        if (!already) return fail(already.error());
        if (!*already) {
          if (auto e = ensure_table(self, t)) return fail(std::move(e));
          if (auto e = load(self, t, chunk)) return fail(std::move(e));
        }
        chunk.stage = storage::chunk_stage::loaded;
        return {std::move(chunk), *already};
      },
      [=](add_indexes_atom, const storage::deferred_indexes& deferred) -> caf::result<void> {
        if (auto err = add_indexes(self, deferred)) {
          self->quit(err);
          return err;
        }
        return caf::unit;
      },
  };
}

}  // namespace dm
