#include "actors/source.hpp"

#include <algorithm>
#include <ctime>

#include <caf/all.hpp>

#include "actors/relay.hpp"
#include "actors/store.hpp"
#include "common/defaults.hpp"
#include "common/log.hpp"
#include "storage/checkpoint_store.hpp"
#include "storage/database.hpp"
#include "storage/relay_log.hpp"
#include "sync/relay_purge.hpp"

namespace dm {

namespace {

using self_ptr = source_actor::stateful_pointer<source_actor_state>;

// What a purge did: the result for dmctl, and what the source shows afterwards.
struct purge_outcome {
  purge_result result;
  std::string summary;
  uint32_t files_left = 0;
};

// Purges relay files of `source_id` as `request` asks (never one a task still needs, nor past
// `head`), then gives the disk space back. Blocking: runs on the store.
purge_outcome run_purge(const std::shared_ptr<storage::database>& db,
                        const std::string& source_id, const relay_key& head,
                        const purge_request& request) {
  purge_outcome out;
  out.result.source_id = source_id;
  storage::relay_log log{db, source_id};
  auto files = log.files();
  storage::checkpoint_store checkpoints{db};
  auto holders = checkpoints.list_for_source(source_id);
  if (!files || !holders) {
    DM_ERROR("source {} cannot plan a purge: {}", source_id,
             describe(files ? holders.error() : files.error()));
    return out;
  }
  std::vector<std::pair<std::string, relay_key>> needed;
  for (auto& [task, cp] : *holders) needed.emplace_back(task, cp.next);
  auto plan = plan_purge(*files, head, needed, request, static_cast<uint32_t>(std::time(nullptr)));
  for (auto& f : plan.purge) {
    if (auto err = log.purge_file(f.segment, f.file_index)) {
      DM_ERROR("source {} could not purge {}: {}", source_id, f.name, describe(err));
      break;
    }
    out.result.purged.push_back(f.name);
  }
  for (auto& [f, task] : plan.kept)
    out.result.kept.push_back(f.name + " (needed by task " + task + ")");
  if (!out.result.purged.empty()) {
    // Give the disk space back now rather than at RocksDB's next compaction.
    auto first = plan.purge.front(), last = plan.purge.back();
    auto err = db->compact(storage::family::relay,
                           storage::relay_event_key(source_id, {first.segment, first.file_index, 0}),
                           storage::relay_event_key(source_id,
                                                    {last.segment, last.file_index + 1, 0}));
    if (err) DM_WARN("source {} could not compact after purging: {}", source_id, describe(err));
    out.summary = out.result.purged.front() +
                  (out.result.purged.size() > 1 ? ".." + out.result.purged.back() : "") + " (" +
                  request.reason + ")";
    DM_INFO("source {} purged relay files {}", source_id, out.summary);
  }
  if (auto left = log.files()) out.files_left = static_cast<uint32_t>(left->size());
  return out;
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

// Runs a purge on the store; `done` gets its result on the source.
template <class Done>
void purge(self_ptr self, const purge_request& request, Done done) {
  auto& st = self->state;
  auto outcome = std::make_shared<purge_outcome>();
  auto db = st.db;
  auto id = st.config.source_id;
  auto head = st.progress.head;
  on_store(self, st.store,
           [=] {
             *outcome = run_purge(db, id, head, request);
             return caf::error{};
           },
           [=](caf::error err) mutable {
             auto& st = self->state;
             if (err) DM_ERROR("source {} could not purge: {}", id, describe(err));
             if (!outcome->summary.empty()) st.last_purge = outcome->summary;
             st.files_stored = outcome->files_left;
             done(outcome->result);
           });
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

// The relay ended with `reason` while the source runs: restart it after a delay.
void on_relay_down(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  st.last_error = describe(reason);
  ++st.reconnects;
  std::chrono::milliseconds delay;
  if (code_of(reason) == ec::disk_full) {
    st.stage = relay_stage::paused;
    purge(self, rules_request(st), [](const purge_result&) {});
    delay = defaults::relay_paused_retry / 2;
  } else if (!is_resumable(reason)) {
    st.stage = relay_stage::paused;
    delay = defaults::relay_paused_retry;
  } else {
    st.stage = relay_stage::connecting;
    delay = st.restart.on_failure(restart_policy::clock::now(), st.random)
                .value_or(defaults::relay_restart.max);
  }
  DM_WARN("source {} restarts its relay in {} ms: {}", st.config.source_id, delay.count(),
          st.last_error);
  self->delayed_send(self, delay, restart_atom_v);
}

}  // namespace

source_actor::behavior_type source(source_actor::stateful_pointer<source_actor_state> self,
                                   source_config config, std::shared_ptr<storage::database> db,
                                   store_actor store, worker_settings settings,
                                   bool relay_paused) {
  auto& st = self->state;
  st.held = relay_paused;
  st.config = std::move(config);
  st.db = std::move(db);
  st.store = std::move(store);
  st.worker_name = settings.name;
  st.settings = std::move(settings);
  st.restart = restart_policy{defaults::relay_restart};
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
      for (auto& rp : st.pausing) rp.deliver(make_status(st));
      st.pausing.clear();
      // Until the relay runs again, nobody can tell how far the upstream is.
      st.progress.upstream_confirmed = false;
      for (auto& l : st.listeners) self->send(l, relay_head_atom_v, st.progress);
      if (msg.reason == caf::exit_reason::user_shutdown) return;
      return on_relay_down(self, msg.reason);
    }
    auto& ls = st.listeners;
    ls.erase(std::remove_if(ls.begin(), ls.end(),
                            [&](const relay_listener_actor& l) { return l.address() == msg.source; }),
             ls.end());
  });
  if (auto files = log.files()) st.files_stored = static_cast<uint32_t>(files->size());
  if (st.held) st.stage = relay_stage::paused;
  else start_relay(self);
  self->delayed_send(self, std::chrono::seconds{st.config.purge.interval}, tick_atom_v);
  return {
      [=](subscribe_atom, relay_listener_actor listener) -> relay_progress {
        self->monitor(listener);
        self->state.listeners.push_back(listener);
        return self->state.progress;
      },
      [=](relay_head_atom, relay_progress& progress) {
        auto& st = self->state;
        bool new_file = progress.head.segment != st.progress.head.segment ||
                        progress.head.file_index != st.progress.head.file_index;
        progress.upstream_confirmed |= st.progress.upstream_confirmed;
        st.progress = progress;
        if (new_file) ++st.files_stored;
        if (st.stage != relay_stage::running && !st.held) {
          // Connected again: the error is history (reconnects keeps count).
          st.stage = relay_stage::running;
          st.restart.recovered();
          st.last_error.clear();
        }
        for (auto& l : st.listeners) self->send(l, relay_head_atom_v, st.progress);
      },
      [=](restart_atom) {
        auto& st = self->state;
        if (!*st.relay && !st.stopping && !st.held) start_relay(self);
      },
      [=](relay_op_atom, const std::string& op) -> caf::result<source_status> {
        auto& st = self->state;
        if (op == "start" || op == "stop") {
          // Keeping the relay log or only what tasks need: the purge rules read it.
          st.config.enable_relay = op == "start";
        } else if (op == "pause") {
          st.held = true;
          st.stage = relay_stage::paused;
          st.last_error = "paused by pause-relay; resume-relay reads the upstream again";
          if (*st.relay) {
            self->send_exit(*st.relay, caf::exit_reason::user_shutdown);
            st.pausing.push_back(self->make_response_promise<source_status>());
            return st.pausing.back();
          }
        } else if (op == "resume") {
          st.held = false;
          st.last_error.clear();
          if (!*st.relay) {
            st.stage = relay_stage::connecting;
            start_relay(self);
          }
        } else {
          return make_error(ec::invalid_argument, "unknown relay operation '" + op + "'");
        }
        return make_status(st);
      },
      [=](purge_relay_atom, const std::string& before_file) -> caf::result<purge_result> {
        auto& st = self->state;
        purge_request request;
        if (before_file.empty()) {
          request = rules_request(st);
        } else {
          request.before_file = before_file;
          request.reason = "purge-relay";
        }
        auto rp = self->make_response_promise<purge_result>();
        purge(self, request, [rp](const purge_result& r) mutable { rp.deliver(r); });
        return rp;
      },
      [=](tick_atom) {
        auto& st = self->state;
        purge(self, rules_request(st), [](const purge_result&) {});
        self->delayed_send(self, std::chrono::seconds{st.config.purge.interval}, tick_atom_v);
      },
      [=](status_atom) { return make_status(self->state); },
  };
}

}  // namespace dm
