#include "actors/shard_coordinator.hpp"

#include <ctime>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
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
  std::unique_ptr<storage::meta_store> meta;
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

caf::error persist(coordinator_state& st, const std::string& task) {
  return st.meta->put(shard_locks_kind, task, st.book.save(task));
}

// Tells the syncers of `sources` that the lock of `target` in `task` resolved.
void notify(self_ptr self, const std::string& task, const std::string& target,
            const std::set<std::string>& sources) {
  for (auto& source : sources) {
    auto it = self->state.syncers.find({task, source});
    if (it != self->state.syncers.end()) self->send(it->second, shard_ddl_atom_v, target);
  }
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
                                                   int64_t report_after, std::string worker_name) {
  auto& st = self->state;
  // The registry's handle would keep this actor from being destroyed after it ends, and the
  // process waits for a detached actor's destruction before it exits.
  self->attach_functor([system = &self->system()] { system->registry().erase(registry_key); });
  st.meta = std::make_unique<storage::meta_store>(std::move(db));
  st.report_after = report_after;
  st.worker_name = std::move(worker_name);
  if (auto stored = st.meta->list(shard_locks_kind)) {
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
        auto ready = st.book.set_shards(list.task, list.source, list.by_target);
        if (auto err = persist(st, list.task)) return err;
        for (auto& [target, sources] : ready) notify(self, list.task, target, sources);
        return caf::unit;
      },
      [=](shard_tables_atom, const std::string& task, const std::string& target,
          const shard_member& member, bool present) -> caf::result<void> {
        auto& st = self->state;
        if (auto err = refusal_of(st, task)) return err;
        auto ready = st.book.shard_changed(task, target, member, present);
        if (auto err = persist(st, task)) return err;
        if (!present && !ready.empty())
          DM_INFO("shard {} of {} was dropped: DDL lock {} awaits no other shard", to_string(member),
                  target, shard_lock_book::lock_id(task, target));
        for (auto& [t, sources] : ready) notify(self, task, t, sources);
        return caf::unit;
      },
      [=](shard_ddl_atom, shard_arrival& a) -> caf::result<shard_verdict> {
        auto& st = self->state;
        if (auto err = refusal_of(st, a.task)) return err;
        auto verdict = st.book.arrive(a, now());
        if (auto err = persist(st, a.task)) return err;
        return verdict;
      },
      [=](shard_ddl_atom, const std::string& task,
          const std::string& target) -> caf::result<void> {
        auto& st = self->state;
        auto sources = st.book.executed(task, target);
        if (!sources) return sources.error();
        if (auto err = persist(st, task)) return err;
        DM_INFO("shard DDL lock {} resolved: its change ran on {}",
                shard_lock_book::lock_id(task, target), target);
        notify(self, task, target, *sources);
        report(self);
        return caf::unit;
      },
      [=](show_ddl_locks_atom, const std::string& task) {
        auto& st = self->state;
        return st.book.show(task, now(), st.report_after);
      },
      [=](unlock_ddl_lock_atom, const std::string& id,
          bool force_remove) -> caf::result<shard_lock_status> {
        auto& st = self->state;
        auto unlocked = st.book.unlock(id, force_remove, now());
        if (!unlocked) return unlocked.error();
        auto& [lock, sources] = *unlocked;
        if (auto err = persist(st, lock.task)) return err;
        DM_WARN("the operator resolved shard DDL lock {} ({}): {}", id,
                force_remove ? "removed; its change does not run downstream"
                             : "its change runs downstream now",
                lock.unsynced.empty() ? std::string{"no shard was awaited"}
                                      : "excused " + joined(lock.unsynced));
        notify(self, lock.task, lock.target, sources);
        report(self);
        return lock;
      },
      [=](stop_task_atom, const std::string& task) -> caf::result<void> {
        auto& st = self->state;
        st.book.forget(task);
        st.unreadable.erase(task);
        for (auto it = st.syncers.begin(); it != st.syncers.end();)
          it = it->first.first == task ? st.syncers.erase(it) : std::next(it);
        if (auto err = st.meta->erase(shard_locks_kind, task)) return err;
        report(self);
        return caf::unit;
      },
      [=](stop_task_atom, const std::string& task,
          const std::string& source) -> caf::result<void> {
        auto& st = self->state;
        if (auto err = refusal_of(st, task)) return err;
        auto ready = st.book.forget_source(task, source);
        st.syncers.erase({task, source});
        if (auto err = persist(st, task)) return err;
        for (auto& [target, sources] : ready) notify(self, task, target, sources);
        report(self);
        return caf::unit;
      },
      [=](tick_atom) {
        report(self);
        self->delayed_send(self, std::chrono::seconds{1}, tick_atom_v);
      },
  };
}

}  // namespace

shard_coordinator_actor spawn_shard_coordinator(caf::local_actor* parent,
                                                std::shared_ptr<storage::database> db,
                                                int64_t report_after, std::string worker_name) {
  auto handle = parent->spawn<caf::detached + caf::linked>(coordinator, std::move(db),
                                                           report_after, std::move(worker_name));
  parent->system().registry().put(registry_key, handle);
  return handle;
}

shard_coordinator_actor find_shard_coordinator(caf::actor_system& system) {
  return system.registry().get<shard_coordinator_actor>(registry_key);
}

}  // namespace dm
