#include "actors/source.hpp"

#include <algorithm>
#include <ctime>

#include <caf/all.hpp>

#include "actors/relay.hpp"
#include "actors/relay_purge.hpp"
#include "protocol/log.hpp"
#include "storage/checkpoint_store.hpp"
#include "storage/database.hpp"
#include "storage/relay_log.hpp"

namespace dm {

namespace {

using self_ptr = source_actor::stateful_pointer<source_actor_state>;

constexpr std::chrono::milliseconds first_backoff{500};
constexpr std::chrono::milliseconds max_backoff{30000};
// Retry interval after an error retrying cannot fix quickly (a setting on the upstream, a full
// disk): slow, so that a fix the operator makes upstream is picked up without hammering.
constexpr std::chrono::milliseconds paused_retry{60000};

// Purges relay files as `request` asks, and reports what went and what stayed.
purge_result run_purge(source_actor_state& st, const purge_request& request) {
  purge_result result;
  result.source_id = st.config.source_id;
  storage::relay_log log{st.db, st.config.source_id};
  auto files = log.files();
  storage::checkpoint_store checkpoints{st.db};
  auto holders = checkpoints.list_for_source(st.config.source_id);
  if (!files || !holders) {
    DM_ERROR("source {} cannot plan a purge: {}", st.config.source_id,
             describe(files ? holders.error() : files.error()));
    return result;
  }
  std::vector<std::pair<std::string, storage::relay_key>> needed;
  for (auto& [task, cp] : *holders) needed.emplace_back(task, cp.next);
  auto plan = plan_purge(*files, st.progress.head, needed, request,
                         static_cast<uint32_t>(std::time(nullptr)));
  for (auto& f : plan.purge) {
    if (auto err = log.purge_file(f.segment, f.file_index)) {
      DM_ERROR("source {} could not purge {}: {}", st.config.source_id, f.name, describe(err));
      break;
    }
    result.purged.push_back(f.name);
  }
  for (auto& [f, task] : plan.kept) result.kept.push_back(f.name + " (needed by task " + task + ")");
  if (!plan.purge.empty()) {
    // Give the disk space back now rather than at RocksDB's next compaction.
    auto first = plan.purge.front(), last = plan.purge.back();
    auto err = st.db->compact(
        storage::family::relay,
        storage::relay_event_key(st.config.source_id, {first.segment, first.file_index, 0}),
        storage::relay_event_key(st.config.source_id, {last.segment, last.file_index + 1, 0}));
    if (err) DM_WARN("source {} could not compact after purging: {}", st.config.source_id,
                     describe(err));
    st.last_purge = result.purged.front() +
                    (result.purged.size() > 1 ? ".." + result.purged.back() : "") + " (" +
                    request.reason + ")";
    DM_INFO("source {} purged relay files {}", st.config.source_id, st.last_purge);
  }
  if (auto left = log.files()) st.files_stored = static_cast<uint32_t>(left->size());
  return result;
}

// The purge rules of the source config, with the disk's state.
purge_request rules_request(const source_actor_state& st) {
  purge_request r;
  r.expires_hours = st.config.purge.expires;
  r.reason = "expires";
  if (!st.config.enable_relay) {
    r.all_unneeded = true;
    r.reason = "enable-relay: false";
  }
  auto limit = static_cast<uint64_t>(st.config.purge.remain_space) << 30;
  if (limit > 0)
    if (auto free = st.db->free_disk_bytes(); free && *free < limit) {
      r.all_unneeded = true;
      r.reason = "low disk space";
    }
  return r;
}

void start_relay(self_ptr self) {
  auto& st = self->state;
  auto handle = self->spawn<caf::detached + caf::monitored>(
      relay, st.config, st.db, source_actor{self},
      std::chrono::milliseconds{st.settings.relay_fsync_ms});
  *st.relay = handle;
}

source_status make_status(const source_actor_state& st) {
  source_status s;
  s.source_id = st.config.source_id;
  s.worker = st.worker_name;
  s.upstream = st.config.from.host + ":" + std::to_string(st.config.from.port);
  auto& r = s.relay;
  r.stage = st.stage;
  r.upstream = st.progress.upstream;
  r.relay = st.progress.relay;
  r.relay_gtid = st.progress.relay_gtid;
  r.events_stored = st.progress.events_stored;
  r.bytes_stored = st.progress.bytes_stored;
  bool behind = !(st.progress.relay == st.progress.upstream);
  if (behind && st.progress.last_event_time)
    r.lag_seconds = std::max<int64_t>(0, std::time(nullptr) - st.progress.last_event_time);
  r.last_error = st.last_error;
  r.reconnects = st.reconnects;
  r.files_stored = st.files_stored;
  r.last_purge = st.last_purge;
  return s;
}

}  // namespace

source_actor::behavior_type source(source_actor::stateful_pointer<source_actor_state> self,
                                   source_config config, std::shared_ptr<storage::database> db,
                                   worker_settings settings) {
  auto& st = self->state;
  st.config = std::move(config);
  st.db = std::move(db);
  st.worker_name = settings.name;
  st.settings = std::move(settings);
  st.relay = std::make_shared<relay_actor>();
  // Start from what the relay log already holds, so syncers can read it while the upstream is
  // unreachable.
  storage::relay_log log{st.db, st.config.source_id};
  if (auto stored = log.load_state(); stored && *stored) {
    st.progress.head = (*stored)->head();
    st.progress.relay = (*stored)->next;
    st.progress.relay_gtid = (*stored)->gtid_set;
    st.progress.upstream = (*stored)->next;
    st.progress.events_stored = (*stored)->events_stored;
    st.progress.bytes_stored = (*stored)->bytes_stored;
    st.progress.last_event_time = (*stored)->last_event_time;
  }
  // The relay is detached and not linked: stop it explicitly when the source ends.
  self->attach_functor([relay = st.relay] {
    if (*relay) caf::anon_send_exit(*relay, caf::exit_reason::user_shutdown);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    st.stopping = true;
    st.stop_reason = msg.reason;
    if (*st.relay) self->send_exit(*st.relay, caf::exit_reason::user_shutdown);
    else self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source == *st.relay) {
      *st.relay = relay_actor{};
      if (st.stopping) return self->quit(st.stop_reason);
      // Until the relay runs again, nobody can tell how far the upstream is.
      st.progress.upstream_confirmed = false;
      for (auto& l : st.listeners) self->send(l, relay_head_atom_v, st.progress);
      if (msg.reason == caf::exit_reason::user_shutdown) return;
      st.last_error = describe(msg.reason);
      ++st.reconnects;
      std::chrono::milliseconds delay;
      if (code_of(msg.reason) == ec::disk_full) {
        st.stage = "Paused";
        run_purge(st, rules_request(st));
        delay = paused_retry / 2;
      } else if (!is_resumable(msg.reason)) {
        st.stage = "Paused";
        delay = paused_retry;
      } else {
        st.stage = "Connecting";
        st.backoff = std::min(max_backoff, st.backoff.count() ? st.backoff * 2 : first_backoff);
        delay = st.backoff;
      }
      DM_WARN("source {} restarts its relay in {} ms: {}", st.config.source_id, delay.count(),
              st.last_error);
      self->delayed_send(self, delay, restart_atom_v);
      return;
    }
    auto& ls = st.listeners;
    ls.erase(std::remove_if(ls.begin(), ls.end(),
                            [&](const relay_listener_actor& l) { return l.address() == msg.source; }),
             ls.end());
  });
  if (auto files = log.files()) st.files_stored = static_cast<uint32_t>(files->size());
  start_relay(self);
  self->delayed_send(self, std::chrono::seconds{st.config.purge.interval}, tick_atom_v);
  return {
      [=](subscribe_atom, relay_listener_actor listener) -> relay_progress {
        self->monitor(listener);
        self->state.listeners.push_back(listener);
        return self->state.progress;
      },
      [=](unsubscribe_atom, relay_listener_actor listener) {
        auto& ls = self->state.listeners;
        ls.erase(std::remove(ls.begin(), ls.end(), listener), ls.end());
      },
      [=](relay_head_atom, relay_progress& progress) {
        auto& st = self->state;
        bool new_file = progress.head.segment != st.progress.head.segment ||
                        progress.head.file_index != st.progress.head.file_index;
        progress.upstream_confirmed |= st.progress.upstream_confirmed;
        st.progress = progress;
        if (new_file) {
          storage::relay_log log{st.db, st.config.source_id};
          if (auto files = log.files()) st.files_stored = static_cast<uint32_t>(files->size());
        }
        if (st.stage != "Running") {
          // Connected again: the error is history (reconnects keeps count).
          st.stage = "Running";
          st.backoff = std::chrono::milliseconds{0};
          st.last_error.clear();
        }
        for (auto& l : st.listeners) self->send(l, relay_head_atom_v, st.progress);
      },
      [=](restart_atom) {
        if (!*self->state.relay && !self->state.stopping) start_relay(self);
      },
      [=](purge_relay_atom, const std::string& before_file) {
        auto& st = self->state;
        purge_request request;
        if (before_file.empty()) {
          request = rules_request(st);
        } else {
          request.before_file = before_file;
          request.reason = "purge-relay";
        }
        return run_purge(st, request);
      },
      [=](tick_atom) {
        auto& st = self->state;
        run_purge(st, rules_request(st));
        self->delayed_send(self, std::chrono::seconds{st.config.purge.interval}, tick_atom_v);
      },
      [=](status_atom) { return make_status(self->state); },
  };
}

}  // namespace dm
