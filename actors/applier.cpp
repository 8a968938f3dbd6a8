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

// Statements are split (multi-row inserts) and joined (round trips) at this size, or at a quarter
// of the downstream's max_allowed_packet when that is smaller.
constexpr size_t max_statement_bytes = 4 << 20;
// Room left in a packet beside the statement (command byte, BEGIN/COMMIT, separators).
constexpr size_t packet_overhead = 1024;
constexpr int max_attempts = 8;

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

// Sends the statements in as few round trips as possible inside one transaction, each round trip
// at most `chunk_bytes` long unless one statement is longer. On failure, `failed` is the index of
// the statement that failed (statements.size() for BEGIN/COMMIT).
caf::error run_transaction(mysql_connection& conn, const std::vector<std::string>& statements,
                           size_t chunk_bytes, size_t& failed) {
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
            auto packet = packet_limit(*st.conn);
            if (!packet) {
              last = packet.error();
              st.conn.reset();
              if (is_resumable(last)) continue;
              return self->quit(last);
            }
            st.packet = *packet;
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
          auto chunk_bytes = std::min(max_statement_bytes, st.packet / 4);
          auto statements = render_batch(batch, force_safe, chunk_bytes);
          if (!statements) return self->quit(statements.error());
          if (auto i = oversized_statement(*statements, st.packet)) {
            self->send(st.syncer, apply_failed_atom_v, st.index,
                       batch.jobs[statements->first_job[*i]].origin.event,
                       packet_error(batch, *statements, *i, st.packet));
            return;
          }
          for (auto& [group, job] : groups) {
            statements->statements.push_back(
                apply_mark_sql(st.marks, batch.run, group, batch.jobs[job].origin));
            statements->first_job.push_back(job);
          }
          size_t failed = 0;
          auto err = run_transaction(*st.conn, statements->statements, chunk_bytes, failed);
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
