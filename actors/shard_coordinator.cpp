#include "actors/shard_coordinator.hpp"

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <caf/all.hpp>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "io/shard_lock_records.hpp"
#include "storage/database.hpp"
#include "storage/meta_store.hpp"

namespace dm {

namespace {

// Meta store kind of the locks: one record per task.
constexpr const char* shard_locks_kind = "shard_locks";
constexpr caf::atom_value registry_key = caf::atom("shardlocks");

struct coordinator_state {
  static inline const char* name = "shard-coordinator";

  shard_lock_book book;
  // Alone: the locks are in the worker's meta store. In a cluster: in etcd (io/shard_lock_records.hpp),
  // read again before every change and written back only if no other worker wrote them since.
  std::unique_ptr<storage::meta_store> meta;
  std::optional<etcd_client> etcd;
  // In a cluster: the last wake-up of each task's record acted on here.
  std::map<std::string, int64_t> woken;
  int64_t report_after = 0;
  std::string worker_name;
  // The syncer of each (task, source) that listed its shard tables in this run.
  std::map<std::pair<std::string, std::string>, syncer_actor> syncers;
  // When each overdue lock was last reported in the log.
  std::map<std::string, int64_t> reported;
  // Locks with metric series (their series go when they resolve).
  std::set<std::pair<std::string, std::string>> metered;
  // Tasks whose stored locks could not be read, with the error, or the error of reading any
  // (`unreadable_all`): their syncers are refused and their records left alone (going on with
  // an empty book could run a change twice or wait forever).
  std::map<std::string, caf::error> unreadable;
  caf::error unreadable_all;
};

using self_ptr = shard_coordinator_actor::stateful_pointer<coordinator_state>;

int64_t now() { return static_cast<int64_t>(std::time(nullptr)); }

// Why the locks of `task` cannot be used (their stored record is unreadable), or none.
caf::error refusal_of(const coordinator_state& st, const std::string& task) {
  if (st.unreadable_all) return st.unreadable_all;
  auto bad = st.unreadable.find(task);
  return bad == st.unreadable.end() ? caf::error{} : bad->second;
}

// Tells the syncers of `sources` that the lock of `target` in `task` resolved.
void notify(self_ptr self, const std::string& task, const std::string& target,
            const std::set<std::string>& sources) {
  for (auto& source : sources) {
    auto it = self->state.syncers.find({task, source});
    if (it != self->state.syncers.end()) self->send(it->second, shard_ddl_atom_v, target);
  }
}

using wakeups = shard_wakeups;

// In a cluster: takes `record` of `task` as the book's, and wakes this worker's syncers named by
// its wake-ups not acted on yet (on the first sight of a task, none: its syncers here only
// registered, and wait for nothing older). When the record no longer keeps every wake-up since
// the last one acted on (this worker could not read etcd for long), every syncer of the task
// here replays every merged table: a replay that finds nothing resolved holds again.
caf::error absorb(self_ptr self, const std::string& task, const shard_lock_record& record) {
  auto& st = self->state;
  st.book.forget(task);
  if (!record.book.empty())
    if (auto err = st.book.load(task, record.book)) return err;
  auto seen = st.woken.find(task);
  if (seen != st.woken.end() && record.seq > seen->second) {
    bool gap = record.wakeups.empty() || record.wakeups.front().seq > seen->second + 1;
    if (gap) {
      std::set<std::string> here;
      for (auto& [part, syncer] : st.syncers)
        if (part.first == task) here.insert(part.second);
      for (auto& target : st.book.targets(task)) notify(self, task, target, here);
    } else {
      for (auto& w : record.wakeups)
        if (w.seq > seen->second) notify(self, task, w.target, w.sources);
    }
  }
  st.woken[task] = record.seq;
  return caf::none;
}

// Makes a change of `task`'s locks: `change` edits the book and answers the locks to wake.
// Alone, the book is saved to the meta store (synced) and the syncers here woken. In a cluster,
// the book is read from etcd first and the change written back only if no other worker wrote
// the record meanwhile (else done again on the newer one); its wake-ups go into the record,
// where every worker's coordinator finds those of its syncers. `change` may run several times,
// each on the book as etcd has it then, and must not fail after editing it.
caf::error apply_change(self_ptr self, const std::string& task,
                        const std::function<caf::expected<wakeups>(shard_lock_book&)>& change) {
  auto& st = self->state;
  if (!st.etcd) {
    auto ready = change(st.book);
    if (!ready) return ready.error();
    if (auto err = st.meta->put(shard_locks_kind, task, st.book.save(task))) return err;
    for (auto& [target, sources] : *ready) notify(self, task, target, sources);
    return caf::none;
  }
  if (!st.woken.count(task)) {
    // The first change here: wake-ups from now on concern this worker's syncers.
    auto before = read_shard_locks(*st.etcd, task);
    if (!before) return before.error();
    st.woken[task] = before->seq;
  }
  auto written = update_shard_locks(*st.etcd, task, st.book, change);
  if (!written) return written.error();
  return absorb(self, task, *written);
}

// In a cluster: the book of `task` (every task with a record, when empty) as etcd has it now.
caf::error refresh(self_ptr self, const std::string& task) {
  auto& st = self->state;
  if (!st.etcd) return caf::none;
  std::vector<std::string> tasks{task};
  if (task.empty()) {
    auto all = shard_lock_tasks(*st.etcd);
    if (!all) return all.error();
    tasks = std::move(*all);
  }
  for (auto& t : tasks) {
    auto record = read_shard_locks(*st.etcd, t);
    if (!record) return record.error();
    if (auto err = absorb(self, t, *record)) return err;
  }
  // Tasks stopped since: their records are gone.
  if (task.empty())
    for (auto& known : st.book.tasks())
      if (std::find(tasks.begin(), tasks.end(), known) == tasks.end()) st.book.forget(known);
  return caf::none;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// Metrics and log lines of open locks; the series of resolved ones go.
void report(self_ptr self) {
  auto& st = self->state;
  auto& registry = metrics::registry::global();
  auto open = st.book.show("", now(), st.report_after);
  std::set<std::pair<std::string, std::string>> still;
  for (auto& l : open) {
    metrics::labels labels{{"task", l.task}, {"lock", l.id}};
    registry
        .get_gauge("dm_shard_lock_waiting_seconds",
                   "Seconds a shard DDL lock has waited for its shards", labels)
        ->set(static_cast<double>(now() - l.since));
    registry
        .get_gauge("dm_shard_lock_awaited_shards",
                   "Shard tables a shard DDL lock still waits for", labels)
        ->set(static_cast<double>(l.unsynced.size()));
    still.insert({l.task, l.id});
    if (!l.overdue) continue;
    auto& last = st.reported[l.id];
    if (now() - last < st.report_after) continue;
    last = now();
    if (l.unsynced.empty())
      DM_WARN("shard DDL lock {} has waited {} s for its owner {} to run '{}' (every shard made "
              "it): if the owner's task part is paused, resolve its error; if its change was "
              "skipped, make it by hand and remove the lock with dmctl shard-ddl-lock unlock {} "
              "--force-remove",
              l.id, now() - l.since, l.owner, joined(l.ddls), l.id);
    else
      DM_WARN("shard DDL lock {} has waited {} s for {}; it made '{}' for {}. Shards that never "
              "make the change keep it waiting: resolve it with dmctl shard-ddl-lock unlock {}",
              l.id, now() - l.since, joined(l.unsynced), joined(l.ddls), joined(l.synced), l.id);
  }
  for (auto it = st.metered.begin(); it != st.metered.end();) {
    if (still.count(*it)) {
      ++it;
      continue;
    }
    metrics::labels labels{{"task", it->first}, {"lock", it->second}};
    registry.remove_series("dm_shard_lock_waiting_seconds", labels);
    registry.remove_series("dm_shard_lock_awaited_shards", labels);
    st.reported.erase(it->second);
    it = st.metered.erase(it);
  }
  st.metered.insert(still.begin(), still.end());
}

shard_coordinator_actor::behavior_type coordinator(self_ptr self,
                                                   std::shared_ptr<storage::database> db,
                                                   int64_t report_after,
                                                   worker_settings settings) {
  auto& st = self->state;
  // The registry's handle would keep this actor from being destroyed after it ends, and the
  // process waits for a detached actor's destruction before it exits.
  self->attach_functor([system = &self->system()] { system->registry().erase(registry_key); });
  st.meta = std::make_unique<storage::meta_store>(std::move(db));
  st.report_after = report_after;
  st.worker_name = settings.name;
  if (!settings.join.empty()) {
    auto etcd = etcd_client::make(settings.join, std::chrono::milliseconds{1000},
                                  {settings.ssl_ca, settings.ssl_cert, settings.ssl_key},
                                  {settings.etcd_user, settings.etcd_password});
    if (etcd) st.etcd.emplace(std::move(*etcd));
    else st.unreadable_all = etcd.error();
  } else if (auto stored = st.meta->list(shard_locks_kind)) {
    for (auto& [task, text] : *stored)
      if (auto err = st.book.load(task, text)) {
        DM_ERROR("{}", describe(err));
        st.unreadable[task] = std::move(err);
      }
  } else {
    DM_ERROR("worker {} cannot read its shard DDL locks: {}", st.worker_name,
             describe(stored.error()));
    st.unreadable_all = stored.error();
  }
  self->send(self, tick_atom_v);
  return {
      [=](shard_tables_atom, shard_table_list& list,
          syncer_actor syncer) -> caf::result<void> {
        auto& st = self->state;
        if (auto err = refusal_of(st, list.task)) return err;
        st.syncers[{list.task, list.source}] = syncer;
        if (auto err = apply_change(self, list.task, [&](shard_lock_book& book) {
              return caf::expected<wakeups>{
                  book.set_shards(list.task, list.source, list.by_target)};
            }))
          return err;
        return caf::unit;
      },
      [=](shard_tables_atom, const std::string& task, const std::string& target,
          const shard_member& member, bool present) -> caf::result<void> {
        auto& st = self->state;
        if (auto err = refusal_of(st, task)) return err;
        wakeups woken;
        if (auto err = apply_change(self, task, [&](shard_lock_book& book) {
              woken = book.shard_changed(task, target, member, present);
              return caf::expected<wakeups>{woken};
            }))
          return err;
        if (!present && !woken.empty())
          DM_INFO("shard {} of {} was dropped: DDL lock {} awaits no other shard", to_string(member),
                  target, shard_lock_book::lock_id(task, target));
        return caf::unit;
      },
      [=](shard_ddl_atom, shard_arrival& a) -> caf::result<shard_verdict> {
        auto& st = self->state;
        if (auto err = refusal_of(st, a.task)) return err;
        shard_verdict verdict;
        if (auto err = apply_change(self, a.task, [&](shard_lock_book& book) {
              verdict = book.arrive(a, now());
              return caf::expected<wakeups>{wakeups{}};
            }))
          return err;
        return verdict;
      },
      [=](shard_ddl_atom, const std::string& task,
          const std::string& target) -> caf::result<void> {
        auto& st = self->state;
        if (auto err = apply_change(self, task, [&](shard_lock_book& book)
                                                    -> caf::expected<wakeups> {
              auto sources = book.executed(task, target);
              if (sources) return wakeups{{target, *sources}};
              // In a cluster, a write etcd took whose answer was lost is made again: the lock
              // is resolved already.
              auto open = book.show(task, now(), 0);
              bool still_open = std::any_of(open.begin(), open.end(), [&](const auto& l) {
                return l.target == target;
              });
              if (st.etcd && !still_open) return wakeups{};
              return sources.error();
            }))
          return err;
        DM_INFO("shard DDL lock {} resolved: its change ran on {}",
                shard_lock_book::lock_id(task, target), target);
        report(self);
        return caf::unit;
      },
      [=](show_ddl_locks_atom,
          const std::string& task) -> caf::result<std::vector<shard_lock_status>> {
        auto& st = self->state;
        if (auto err = refresh(self, task)) return err;
        return st.book.show(task, now(), st.report_after);
      },
      [=](unlock_ddl_lock_atom, const std::string& id,
          bool force_remove) -> caf::result<shard_lock_status> {
        auto& st = self->state;
        // The lock's task: the one whose locks name it (read from etcd in a cluster).
        if (auto err = refresh(self, "")) return err;
        std::string task;
        for (auto& lock : st.book.show("", now(), st.report_after))
          if (lock.id == id) task = lock.task;
        if (task.empty())
          return make_error(ec::not_found, "no DDL lock " + id +
                                               " is open (show-ddl-locks lists them)");
        shard_lock_status unlocked;
        if (auto err = apply_change(self, task, [&](shard_lock_book& book)
                                                    -> caf::expected<wakeups> {
              auto done = book.unlock(id, force_remove, now());
              if (!done) return done.error();
              unlocked = done->first;
              return wakeups{{done->first.target, done->second}};
            }))
          return err;
        DM_WARN("the operator resolved shard DDL lock {} ({}): {}", id,
                force_remove ? "removed; its change does not run downstream"
                             : "its change runs downstream now",
                unlocked.unsynced.empty() ? std::string{"no shard was awaited"}
                                          : "excused " + joined(unlocked.unsynced));
        report(self);
        return unlocked;
      },
      [=](stop_task_atom, const std::string& task) -> caf::result<void> {
        auto& st = self->state;
        st.book.forget(task);
        st.unreadable.erase(task);
        st.woken.erase(task);
        for (auto it = st.syncers.begin(); it != st.syncers.end();)
          it = it->first.first == task ? st.syncers.erase(it) : std::next(it);
        // In a cluster, dmctl stop-task removes the task's record from etcd.
        if (!st.etcd)
          if (auto err = st.meta->erase(shard_locks_kind, task)) return err;
        report(self);
        return caf::unit;
      },
      [=](stop_task_atom, const std::string& task,
          const std::string& source) -> caf::result<void> {
        auto& st = self->state;
        if (auto err = refusal_of(st, task)) return err;
        st.syncers.erase({task, source});
        if (auto err = apply_change(self, task, [&](shard_lock_book& book) {
              return caf::expected<wakeups>{book.forget_source(task, source)};
            }))
          return err;
        report(self);
        return caf::unit;
      },
      [=](tick_atom) {
        auto& st = self->state;
        // In a cluster: the locks of the tasks with syncers here, and the wake-ups other
        // workers wrote for them.
        std::set<std::string> tasks;
        for (auto& [part, syncer] : st.syncers) tasks.insert(part.first);
        for (auto& task : tasks)
          if (auto err = refresh(self, task))
            DM_WARN("worker {} cannot read the shard DDL locks of task {}: {}", st.worker_name,
                    task, describe(err));
        report(self);
        self->delayed_send(self, st.etcd ? std::chrono::milliseconds{300}
                                         : std::chrono::milliseconds{1000},
                           tick_atom_v);
      },
  };
}

}  // namespace

shard_coordinator_actor spawn_shard_coordinator(caf::local_actor* parent,
                                                std::shared_ptr<storage::database> db,
                                                const worker_settings& settings) {
  auto handle = parent->spawn<caf::detached + caf::linked>(
      coordinator, std::move(db), settings.shard_lock_report_after, settings);
  parent->system().registry().put(registry_key, handle);
  return handle;
}

shard_coordinator_actor find_shard_coordinator(caf::actor_system& system) {
  return system.registry().get<shard_coordinator_actor>(registry_key);
}

}  // namespace dm
