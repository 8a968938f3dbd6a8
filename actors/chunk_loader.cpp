#include "actors/chunk_loader.hpp"

#include <fstream>

#include <caf/all.hpp>

#include "actors/applier.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/log.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

using self_ptr = chunk_loader_actor::stateful_pointer<chunk_loader_state>;

constexpr std::string_view file_verb = "INSERT INTO ";

std::string marks_table(const std::string& meta_schema) {
  return sql::qualified_name(meta_schema, "load_chunks");
}

std::string mark_condition(const chunk_loader_state& st, const std::string& chunk) {
  std::string out = " WHERE task = ";
  sql::append_escaped(out, st.task);
  out += " AND source = ";
  sql::append_escaped(out, st.source);
  out += " AND chunk = ";
  sql::append_escaped(out, chunk);
  return out;
}

caf::error ensure_table(self_ptr self, const storage::dump_table& t) {
  auto& st = self->state;
  auto key = std::make_pair(t.target_db, t.target_table);
  if (st.created.count(key)) return caf::none;
  if (auto err = st.conn->execute(t.create_database)) return err;
  if (auto err = st.conn->execute(t.create_table)) return err;
  st.created.insert(key);
  return caf::none;
}

// Runs the chunk's statements and its mark in one transaction.
caf::error load(self_ptr self, const storage::dump_chunk& chunk) {
  auto& st = self->state;
  if (auto err = st.conn->execute("BEGIN")) return err;
  for (auto& name : chunk.files) {
    auto path = st.dir + "/" + name;
    std::ifstream in{path, std::ios::binary};
    if (!in)
      return make_error(ec::io_failed, "dump file " + path + " cannot be read; stop and start "
                                       "the task to dump again");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (line.compare(0, file_verb.size(), file_verb) != 0)
        return make_error(ec::io_failed, "dump file " + path + " holds a line that is not an "
                                         "INSERT; stop and start the task to dump again");
      if (st.insert_verb != file_verb) line.replace(0, file_verb.size(), st.insert_verb);
      if (auto err = st.conn->execute(line)) {
        st.conn->execute("ROLLBACK");
        return err;
      }
    }
    if (in.bad())
      return make_error(ec::io_failed, "dump file " + path + " cannot be read to the end");
  }
  std::string mark = "INSERT INTO " + marks_table(st.meta_schema) + " (task, source, chunk) VALUES (";
  sql::append_escaped(mark, st.task);
  mark += ',';
  sql::append_escaped(mark, st.source);
  mark += ',';
  sql::append_escaped(mark, chunk.id);
  mark += ')';
  if (auto err = st.conn->execute(mark)) {
    st.conn->execute("ROLLBACK");
    return err;
  }
  return st.conn->execute("COMMIT");
}

}  // namespace

std::vector<std::string> load_marks_ddl(const std::string& meta_schema) {
  std::string db = "CREATE DATABASE IF NOT EXISTS ";
  sql::append_identifier(db, meta_schema);
  return {db, "CREATE TABLE IF NOT EXISTS " + marks_table(meta_schema) +
                  " (task VARCHAR(128) NOT NULL, source VARCHAR(128) NOT NULL, chunk "
                  "VARCHAR(1000) CHARACTER SET ascii NOT NULL, PRIMARY KEY (task, source, "
                  "chunk)) DEFAULT CHARSET=utf8mb4"};
}

chunk_loader_actor::behavior_type chunk_loader(
    chunk_loader_actor::stateful_pointer<chunk_loader_state> self, task_config task,
    std::string source, std::string dir) {
  auto& st = self->state;
  st.task = task.name;
  st.source = std::move(source);
  st.meta_schema = task.meta_schema;
  st.dir = std::move(dir);
  const auto& on_duplicate = find_instance(task, st.source)->loader.on_duplicate;
  st.insert_verb = on_duplicate == "replace"  ? "REPLACE INTO "
                   : on_duplicate == "ignore" ? "INSERT IGNORE INTO "
                                              : std::string{file_verb};
  auto label = "loader of task " + st.task + " on source " + st.source + " (downstream " +
               task.target_database.host + ":" + std::to_string(task.target_database.port) + ")";
  auto conn = open_downstream_session(to_connection_params(task.target_database), label);
  caf::error err;
  if (!conn) err = conn.error();
  else st.conn.emplace(std::move(*conn));
  if (!err)
    for (auto& ddl : load_marks_ddl(st.meta_schema))
      if ((err = st.conn->execute(ddl))) break;
  if (err) {
    self->quit(err);
    return {[](load_atom, const storage::dump_table&,
               const storage::dump_chunk&) -> caf::result<storage::dump_chunk, bool> {
      return make_error(ec::unavailable, "loader connection failed");
    }};
  }
  return {
      [=](load_atom, const storage::dump_table& t,
          storage::dump_chunk& chunk) -> caf::result<storage::dump_chunk, bool> {
        auto& st = self->state;
        auto fail = [&](caf::error e) -> caf::result<storage::dump_chunk, bool> {
          self->quit(e);
          return e;
        };
        auto marked = st.conn->query("SELECT 1 FROM " + marks_table(st.meta_schema) +
                                     mark_condition(st, chunk.id));
        if (!marked) return fail(marked.error());
        bool already = !marked->empty();
        if (!already) {
          if (auto e = ensure_table(self, t)) return fail(std::move(e));
          if (auto e = load(self, chunk)) return fail(std::move(e));
        }
        chunk.stage = storage::chunk_stage::loaded;
        return {std::move(chunk), already};
      },
  };
}

}  // namespace dm
