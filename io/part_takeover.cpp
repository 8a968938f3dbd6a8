#include "io/part_takeover.hpp"

#include <mysqld_error.h>

#include <algorithm>
#include <set>

#include "common/error.hpp"
#include "common/log.hpp"
#include "io/connection_settings.hpp"
#include "io/meta_tables.hpp"
#include "io/operator_decision.hpp"
#include "io/sync_start.hpp"
#include "model/stages.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/mysql_connection.hpp"
#include "storage/dump_store.hpp"
#include "storage/meta_store.hpp"
#include "sync/shard_replay.hpp"
#include "storage/relay_log.hpp"

namespace dm {

namespace {

std::string part_name(const task_config& task, const std::string& source) {
  return "task " + task.name + " on source " + source;
}

// Meta store kind: the incarnation (task_config::incarnation) a part's local records belong to,
// by replay_plan_id.
constexpr const char* part_incarnation_kind = "cluster_part";

// Forgets the part's local records when they belong to another start of the task (one whose
// stop-task this worker missed): its checkpoint, copy state, replay plan and operator
// decision. Then notes the incarnation they belong to from now on.
caf::error forget_other_incarnation(const std::shared_ptr<storage::database>& db,
                                    const task_config& task, const std::string& source) {
  storage::meta_store meta{db};
  auto id = replay_plan_id(task.name, source);
  auto mine = std::to_string(task.incarnation);
  auto noted = meta.get(part_incarnation_kind, id);
  if (!noted) return noted.error();
  if (*noted && **noted == mine) return caf::none;
  if (auto err = storage::checkpoint_store{db}.erase_part(task.name, source)) return err;
  if (auto err = meta.erase(replay_plan_kind, id)) return err;
  if (auto err = clear_decision(meta, task.name, source)) return err;
  return meta.put(part_incarnation_kind, id, mine);
}

caf::expected<mysql_connection> open_target(const task_config& task) {
  return open_downstream_session(to_connection_params(task.target_database),
                                 "downstream of task " + task.name);
}

// The runs of the load marks downstream of the part (full migrations that loaded something).
caf::expected<std::set<uint64_t>> load_runs(mysql_connection& conn, const meta_scope& scope) {
  std::set<uint64_t> runs;
  auto rows = conn.query("SELECT DISTINCT run FROM " +
                         meta_table(scope.meta_schema, "load_marks") + scope_condition(scope));
  if (!rows) {
    auto errnum = conn.last_errno();
    if (errnum == ER_NO_SUCH_TABLE || errnum == ER_BAD_DB_ERROR) return runs;
    return rows.error();
  }
  for (auto& r : *rows) {
    try {
      if (!r.empty() && r[0]) runs.insert(std::stoull(*r[0]));
    } catch (const std::exception&) {
      return make_error(ec::invalid_state, "load_marks holds a bad run");
    }
  }
  return runs;
}

// A part without a checkpoint downstream: whether it has one here; refused when its full
// migration loaded rows under a run this worker did not dump.
caf::expected<bool> keep_local_part(const std::shared_ptr<storage::database>& db,
                                    mysql_connection& conn, const task_config& task,
                                    const meta_scope& scope) {
  if (copies(task.task_mode)) {
    storage::dump_store dumps{db, task.name, scope.source};
    auto finished = dumps.load_finished();
    if (!finished) return finished.error();
    auto local_run = dumps.run();
    if (!local_run) return local_run.error();
    auto runs = load_runs(conn, scope);
    if (!runs) return runs.error();
    for (auto run : *runs)
      if (!*finished && run != *local_run)
        return make_error(ec::invalid_state,
                          part_name(task, scope.source) +
                              ": its full migration began on another worker and has not reached "
                              "sync (its dump files are on that worker); it goes on when that "
                              "worker runs source " + scope.source +
                              " again (transfer-source), or stop-task and start it again after "
                              "emptying its tables downstream");
  }
  storage::checkpoint_store checkpoints{db};
  auto local = checkpoints.load_sync(task.name, scope.source);
  if (!local) return local.error();
  return local->has_value();
}

// The rows of the part that belong to this start of the task (its incarnation).
caf::expected<std::optional<storage::sync_checkpoint>> read_checkpoint(mysql_connection& conn,
                                                                      const task_config& task,
                                                                      const meta_scope& scope) {
  auto rows = load_checkpoint_rows(conn, scope);
  if (!rows) return rows.error();
  if (task.incarnation > 0)
    rows->erase(std::remove_if(rows->begin(), rows->end(),
                               [&](const checkpoint_row& r) {
                                 return r.run != static_cast<uint64_t>(task.incarnation);
                               }),
                rows->end());
  return merge_checkpoint_rows(*rows);
}

}  // namespace

caf::expected<std::optional<storage::sync_checkpoint>> downstream_checkpoint(
    const task_config& task, const std::string& source) {
  auto conn = open_target(task);
  if (!conn) return conn.error();
  return read_checkpoint(*conn, task, {task.meta_schema, task.name, source});
}

caf::expected<bool> take_over_part(const std::shared_ptr<storage::database>& db,
                                   const task_config& task, const std::string& source,
                                   int64_t epoch) {
  auto conn = open_target(task);
  if (!conn) return conn.error();
  meta_scope scope{task.meta_schema, task.name, source};
  if (auto err = forget_other_incarnation(db, task, source)) return err;
  for (auto& statement : meta_tables_ddl(task.meta_schema))
    if (auto err = conn->execute(statement)) return err;
  // From here on no transaction of an earlier owner commits: the rows read next are final.
  if (auto err = raise_fence(*conn, scope, epoch)) return err;
  auto found = read_checkpoint(*conn, task, scope);
  if (!found) return found.error();
  if (!*found) return keep_local_part(db, *conn, task, scope);
  auto cp = **found;
  if (cp.safe_until.segment != cp.next.segment)
    return make_error(ec::invalid_state,
                      part_name(task, source) + ": the upstream changed server between its "
                      "checkpoint downstream (" + to_string(cp.position) + ") and its high-water "
                      "mark; no other worker can replay that exactly; run it on the worker that "
                      "wrote it (transfer-source)");
  storage::relay_log relay{db, source};
  auto state = relay.load_state();
  if (!state) return state.error();
  uint32_t segment = *state ? (*state)->segment : 0;
  // The run's apply marks name the segments of the relays that wrote them; the replay compares
  // them with this relay's. Marks of other segments than the checkpoint's come before it (an
  // earlier upstream server, or an owner before the last one, whose marks the last one's
  // take-over moved): they are of no use. The rest move to this relay's segment.
  auto marks = meta_table(scope.meta_schema, "apply_marks");
  auto of_run = scope_condition(scope) + " AND run = " + std::to_string(cp.run);
  auto old_segment = std::to_string(cp.next.segment);
  if (auto err = conn->execute("DELETE FROM " + marks + of_run + " AND segment <> " + old_segment))
    return err;
  if (segment != cp.next.segment) {
    if (auto err = conn->execute("UPDATE " + marks + " SET segment = " +
                                 std::to_string(segment) + of_run + " AND segment = " +
                                 old_segment))
      return err;
    cp.next.segment = segment;
    cp.safe_until.segment = segment;
  }
  storage::checkpoint_store checkpoints{db};
  if (auto err = checkpoints.save_sync(task.name, source, cp, true)) return err;
  if (copies(task.task_mode))
    if (auto err = storage::dump_store{db, task.name, source}.set_load_finished()) return err;
  return true;
}

caf::expected<std::optional<relay_start_point>> relay_start_for(
    const std::vector<task_config>& tasks, const source_config& source) {
  std::optional<storage::sync_checkpoint> earliest;
  std::string needed_by;
  std::string unread;
  for (auto& task : tasks) {
    auto cp = downstream_checkpoint(task, source.source_id);
    if (!cp) {
      unread += (unread.empty() ? "" : "; ") + task.name + ": " + describe(cp.error());
      continue;
    }
    if (*cp && (!earliest || snapshot_before((*cp)->position, earliest->position))) {
      earliest = **cp;
      needed_by = task.name;
    }
  }
  if (!earliest && unread.empty()) return std::optional<relay_start_point>{};
  auto label = "upstream of source " + source.source_id;
  auto conn = mysql_connection::open(to_connection_params(source.from), server_role::upstream,
                                     label);
  if (!conn) return conn.error();
  auto logs = conn->query("SHOW BINARY LOGS");
  if (!logs) return logs.error();
  std::string first;
  for (auto& row : *logs) {
    if (row.empty() || !row[0]) continue;
    if (first.empty()) first = *row[0];
    if (unread.empty() && *row[0] == earliest->position.file)
      return std::optional<relay_start_point>{
          relay_start_point{earliest->position.file, earliest->gtid_set}};
  }
  if (first.empty())
    return make_error(ec::upstream_misconfigured,
                      label + ": SHOW BINARY LOGS lists nothing; is binary logging on?");
  if (!unread.empty()) {
    DM_WARN("source {}: the checkpoint downstream of some of its tasks cannot be read ({}); its "
            "relay starts at the {}'s earliest binlog file {}, which covers any checkpoint the "
            "upstream still has, so that its other tasks go on",
            source.source_id, unread, label, first);
    return std::optional<relay_start_point>{relay_start_point{first, ""}};
  }
  DM_WARN("source {}: task {} goes on from its checkpoint downstream at {}, but the {} no longer "
          "has that file (its binlog begins at {}); its relay starts there and the task stops, "
          "saying so, instead of skipping what was purged",
          source.source_id, needed_by, to_string(earliest->position), label, first);
  return std::optional<relay_start_point>{relay_start_point{first, ""}};
}

}  // namespace dm
