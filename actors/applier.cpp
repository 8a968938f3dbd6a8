#include "actors/applier.hpp"

#include <map>

#include <caf/all.hpp>

#include "common/defaults.hpp"
#include "sync/batch_sql.hpp"
#include "sync/downstream_checkpoint.hpp"
#include "io/connection_settings.hpp"
#include "io/meta_tables.hpp"
#include "protocol/downstream_session.hpp"
#include "common/log.hpp"

namespace dm {

namespace {

using defaults::packet_overhead;

// The downstream's max_allowed_packet for this session.
caf::expected<size_t> packet_limit(mysql_connection& conn) {
  auto value = conn.query_value("SELECT @@max_allowed_packet");
  if (!value) return value.error();
  try {
    return static_cast<size_t>(std::stoull(value->value_or("")));
  } catch (const std::exception&) {
    return make_error(ec::invalid_state, "the downstream reports no max_allowed_packet");
  }
}

// The first statement the downstream cannot take in one packet (it would drop the connection,
// every time), or nullopt.
std::optional<size_t> oversized_statement(const rendered_batch& rendered, size_t packet) {
  for (size_t i = 0; i < rendered.statements.size(); ++i)
    if (rendered.statements[i].size() + packet_overhead > packet) return i;
  return std::nullopt;
}

// Why statement `i` cannot be sent: names the table, the size and the setting to raise.
caf::error packet_error(const job_batch& batch, const rendered_batch& rendered, size_t i,
                        size_t packet) {
  auto size = rendered.statements[i].size();
  auto wanted = size_t{1} << 20;
  while (wanted < size + packet_overhead) wanted <<= 1;
  return make_error(ec::downstream_rejected,
                    "a change to " + batch.jobs[rendered.first_job[i]].target +
                        " needs a statement of " + std::to_string(size) +
                        " bytes (one row), more than the downstream's max_allowed_packet of " +
                        std::to_string(packet) +
                        " bytes; raise it downstream (SET GLOBAL max_allowed_packet = " +
                        std::to_string(wanted) + ", and in the server's config) and resume-task");
}

// Sends the statements in as few round trips as possible inside one transaction (begun already
// when `begun`), each round trip at most `chunk_bytes` long unless one statement is longer. On
// failure, `failed` is the index of the statement that failed (statements.size() for
// BEGIN/COMMIT).
caf::error run_transaction(mysql_connection& conn, const std::vector<std::string>& statements,
                           size_t chunk_bytes, size_t& failed, bool begun) {
  std::string chunk = begun ? "" : "BEGIN";
  // Statement index of the first statement in `chunk`, counting BEGIN as -1.
  long first = begun ? 0 : -1;
  size_t next = 0;
  auto flush = [&](const std::string& sql) -> caf::error {
    size_t at = 0;
    auto err = conn.execute(sql, &at);
    if (err) {
      long index = first + static_cast<long>(at);
      failed = index < 0 || static_cast<size_t>(index) >= statements.size() ? statements.size()
                                                                            : index;
    }
    return err;
  };
  for (; next < statements.size(); ++next) {
    const auto& s = statements[next];
    if (chunk.size() + s.size() + 1 > chunk_bytes && !chunk.empty()) {
      if (auto err = flush(chunk)) return err;
      chunk.clear();
      first = static_cast<long>(next);
    }
    if (!chunk.empty()) chunk += ';';
    chunk += s;
  }
  chunk += chunk.empty() ? "COMMIT" : ";COMMIT";
  return flush(chunk);
}

// For each serial group that `batch` changes: its last change in the batch, by job index.
std::map<std::string, size_t> last_group_changes(const job_batch& batch) {
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < batch.jobs.size(); ++i)
    if (auto& group = batch.jobs[i].serial_group) last[*group] = i;
  return last;
}

// Whether an earlier attempt at `batch` committed, judged by the apply marks it wrote.
caf::expected<bool> committed_before(mysql_connection& conn, const meta_scope& scope,
                                     const job_batch& batch,
                                     const std::map<std::string, size_t>& groups) {
  auto marks = load_apply_marks(conn, scope, batch.run);
  if (!marks) return marks.error();
  auto& [group, job] = *groups.begin();
  auto it = marks->find(group);
  return it != marks->end() && batch.jobs[job].origin <= it->second;
}

// The outcome of one attempt at a batch.
enum class attempt_result { done, retry, stopped };

// Tries the head of the queue once. `done`: acknowledged (or reported as failing for good);
// `retry`: a transient failure, `last_error` set; `stopped`: the applier quit.
attempt_result attempt(applier_actor::stateful_pointer<applier_actor_state> self) {
  auto& st = self->state;
  auto& batch = st.queue.front();
  auto groups = last_group_changes(batch);
  auto transient = [&](caf::error err) {
    st.last_error = std::move(err);
    st.conn.reset();
    if (is_resumable(st.last_error)) return attempt_result::retry;
    self->quit(st.last_error);
    return attempt_result::stopped;
  };
  auto now = std::chrono::steady_clock::now();
  if (st.conn && st.epoch > 0 &&
      now - st.last_used > defaults::fenced_session_idle - std::chrono::seconds{3})
    st.conn.reset();
  st.last_used = now;
  if (!st.conn) {
    auto conn = open_downstream_session(st.params, st.label);
    if (!conn) return transient(conn.error());
    st.conn.emplace(std::move(*conn));
    auto packet = packet_limit(*st.conn);
    if (!packet) return transient(packet.error());
    st.packet = *packet;
    // A frozen worker's open transaction must not hold the fence for long (see
    // defaults::fenced_session_idle).
    if (st.epoch > 0)
      if (auto err = st.conn->execute("SET SESSION wait_timeout = " +
                                      std::to_string(defaults::fenced_session_idle.count())))
        return transient(std::move(err));
  }
  if (st.force_safe && !groups.empty()) {
    // The failed attempt may have committed; replaying a serial group's changes would apply
    // them twice.
    auto done = committed_before(*st.conn, st.marks, batch, groups);
    if (!done) return transient(done.error());
    if (*done) {
      self->send(st.syncer, ack_atom_v, st.index, batch.seq);
      return attempt_result::done;
    }
  }
  auto chunk_bytes = std::min(defaults::max_statement_bytes, st.packet / 4);
  auto statements = render_batch(batch, st.force_safe, chunk_bytes);
  if (!statements) {
    self->quit(statements.error());
    return attempt_result::stopped;
  }
  if (auto i = oversized_statement(*statements, st.packet)) {
    self->send(st.syncer, apply_failed_atom_v, st.index,
               batch.jobs[statements->first_job[*i]].origin.event,
               packet_error(batch, *statements, *i, st.packet));
    return attempt_result::done;
  }
  for (auto& [group, job] : groups) {
    statements->statements.push_back(
        apply_mark_sql(st.marks, batch.run, group, batch.jobs[job].origin));
    statements->first_job.push_back(job);
  }
  statements->statements.push_back(checkpoint_row_sql(
      st.marks, st.epoch, static_cast<int32_t>(st.index), batch.run, batch.mark));
  statements->first_job.push_back(batch.jobs.size() - 1);
  if (st.epoch > 0) {
    // The lock on its fence row lasts until the commit: no newer owner raises it meanwhile.
    auto fenced = st.conn->execute("BEGIN");
    if (!fenced)
      fenced = check_fence(*st.conn, st.marks, static_cast<int32_t>(st.index), st.epoch, true);
    if (fenced) {
      if (st.conn->execute("ROLLBACK")) st.conn.reset();
      if (is_resumable(fenced)) return transient(std::move(fenced));
      self->send(st.syncer, apply_failed_atom_v, st.index, batch.jobs.front().origin.event,
                 std::move(fenced));
      return attempt_result::done;
    }
  }
  size_t failed = 0;
  auto err = run_transaction(*st.conn, statements->statements, chunk_bytes, failed,
                             st.epoch > 0);
  if (!err) {
    self->send(st.syncer, ack_atom_v, st.index, batch.seq);
    return attempt_result::done;
  }
  // The transaction may have committed before the failure was noticed: retry in safe mode,
  // which is idempotent (and serial groups check their marks first).
  st.force_safe = true;
  if (st.conn->execute("ROLLBACK")) st.conn.reset();
  if (!is_resumable(err)) {
    auto text = describe(err) + " (statement: " +
                (failed < statements->statements.size() ? excerpt(statements->statements[failed])
                                                         : std::string{"BEGIN/COMMIT"}) +
                ")";
    // The syncer stops on the event the failing statement came from; this applier waits to
    // be stopped with it.
    auto origin = batch.jobs.front().origin.event;
    if (failed < statements->first_job.size())
      origin = batch.jobs[statements->first_job[failed]].origin.event;
    self->send(st.syncer, apply_failed_atom_v, st.index, origin, make_error(code_of(err), text));
    return attempt_result::done;
  }
  return transient(std::move(err));
}

// Works through the queue until it is empty or an attempt must wait for its retry.
void drain(applier_actor::stateful_pointer<applier_actor_state> self) {
  auto& st = self->state;
  while (!st.queue.empty() && !st.waiting) {
    switch (attempt(self)) {
      case attempt_result::stopped:
        return;
      case attempt_result::done:
        st.queue.pop_front();
        st.force_safe = false;
        st.retry.recovered();
        break;
      case attempt_result::retry: {
        auto delay = st.retry.on_failure(restart_policy::clock::now(), st.random);
        if (!delay) return self->quit(st.last_error);
        DM_WARN("{} retries a batch in {} ms: {}", st.label, delay->count(),
                describe(st.last_error));
        st.waiting = true;
        self->delayed_send(self, *delay, restart_atom_v);
        return;
      }
    }
  }
}

}  // namespace

applier_actor::behavior_type applier(applier_actor::stateful_pointer<applier_actor_state> self,
                                     uint32_t index, db_config target, std::string label,
                                     meta_scope marks, int64_t epoch, syncer_actor syncer) {
  auto& st = self->state;
  st.index = index;
  st.params = to_connection_params(target);
  st.label = std::move(label);
  st.marks = std::move(marks);
  st.epoch = epoch;
  st.syncer = std::move(syncer);
  st.retry = restart_policy{defaults::applier_retry};
  return {
      [=](apply_atom, job_batch& batch) {
        self->state.queue.push_back(std::move(batch));
        drain(self);
      },
      [=](restart_atom) {
        self->state.waiting = false;
        drain(self);
      },
  };
}

}  // namespace dm
