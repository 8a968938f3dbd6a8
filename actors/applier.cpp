#include "actors/applier.hpp"

#include <map>
#include <thread>

#include <caf/all.hpp>

#include "actors/batch_sql.hpp"
#include "actors/connection_settings.hpp"
#include "protocol/downstream_session.hpp"
#include "protocol/log.hpp"

namespace dm {

namespace {

constexpr size_t max_statement_bytes = 4 << 20;
constexpr int max_attempts = 8;

// Sends the statements in as few round trips as possible inside one transaction. On failure,
// `failed` is the index of the statement that failed (statements.size() for BEGIN/COMMIT).
caf::error run_transaction(mysql_connection& conn, const std::vector<std::string>& statements,
                           size_t& failed) {
  std::string chunk = "BEGIN";
  // Statement index of the first statement in `chunk`, counting BEGIN as -1.
  long first = -1;
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
    if (chunk.size() + s.size() > max_statement_bytes && !chunk.empty()) {
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

}  // namespace

applier_actor::behavior_type applier(applier_actor::stateful_pointer<applier_actor_state> self,
                                     uint32_t index, db_config target, std::string label,
                                     meta_scope marks, syncer_actor syncer) {
  auto& st = self->state;
  st.index = index;
  st.params = to_connection_params(target);
  st.label = std::move(label);
  st.marks = std::move(marks);
  st.syncer = std::move(syncer);
  return {
      [=](apply_atom, job_batch& batch) {
        auto& st = self->state;
        bool force_safe = false;
        caf::error last;
        auto groups = last_group_changes(batch);
        for (int attempt = 0; attempt < max_attempts; ++attempt) {
          if (attempt > 0) {
            auto delay = std::chrono::milliseconds{100} * (1 << std::min(attempt, 6));
            DM_WARN("{} retries a batch in {} ms: {}", st.label, delay.count(), describe(last));
            std::this_thread::sleep_for(delay);
          }
          if (!st.conn) {
            auto conn = open_downstream_session(st.params, st.label);
            if (!conn) {
              last = conn.error();
              if (is_resumable(last)) continue;
              return self->quit(last);
            }
            st.conn.emplace(std::move(*conn));
          }
          if (force_safe && !groups.empty()) {
            // The failed attempt may have committed; replaying a serial group's changes would
            // apply them twice.
            auto done = committed_before(*st.conn, st.marks, batch, groups);
            if (!done) {
              last = done.error();
              st.conn.reset();
              if (is_resumable(last)) continue;
              return self->quit(last);
            }
            if (*done) {
              self->send(st.syncer, ack_atom_v, st.index, batch.seq);
              return;
            }
          }
          auto statements = render_batch(batch, force_safe, max_statement_bytes);
          if (!statements) return self->quit(statements.error());
          for (auto& [group, job] : groups) {
            statements->statements.push_back(
                apply_mark_sql(st.marks, batch.run, group, batch.jobs[job].origin));
            statements->first_job.push_back(job);
          }
          size_t failed = 0;
          auto err = run_transaction(*st.conn, statements->statements, failed);
          if (!err) {
            self->send(st.syncer, ack_atom_v, st.index, batch.seq);
            return;
          }
          // The transaction may have committed before the failure was noticed: retry in safe
          // mode, which is idempotent.
          force_safe = true;
          if (st.conn->execute("ROLLBACK")) st.conn.reset();
          if (!is_resumable(err)) {
            auto text = describe(err) + " (statement: " +
                        (failed < statements->statements.size()
                             ? excerpt(statements->statements[failed])
                                                     : std::string{"BEGIN/COMMIT"}) +
                        ")";
            // The syncer stops on the event the failing statement came from; this applier
            // waits to be stopped with it.
            auto origin = batch.jobs.front().origin.event;
            if (failed < statements->first_job.size())
              origin = batch.jobs[statements->first_job[failed]].origin.event;
            self->send(st.syncer, apply_failed_atom_v, st.index, origin,
                       make_error(code_of(err), text));
            return;
          }
          last = std::move(err);
          st.conn.reset();
        }
        self->quit(last);
      },
  };
}

}  // namespace dm
