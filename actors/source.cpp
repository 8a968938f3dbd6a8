#include "actors/source.hpp"

#include <algorithm>
#include <ctime>

#include <caf/all.hpp>

#include "actors/relay.hpp"
#include "protocol/log.hpp"
#include "storage/relay_log.hpp"

namespace dm {

namespace {

using self_ptr = source_actor::stateful_pointer<source_actor_state>;

constexpr std::chrono::milliseconds first_backoff{500};
constexpr std::chrono::milliseconds max_backoff{30000};

void start_relay(self_ptr self) {
  auto& st = self->state;
  auto handle = self->spawn<caf::detached + caf::monitored>(relay, st.config, st.db,
                                                            source_actor{self});
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
  return s;
}

}  // namespace

source_actor::behavior_type source(source_actor::stateful_pointer<source_actor_state> self,
                                   source_config config, std::shared_ptr<storage::database> db,
                                   std::string worker_name) {
  auto& st = self->state;
  st.config = std::move(config);
  st.db = std::move(db);
  st.worker_name = std::move(worker_name);
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
      if (msg.reason == caf::exit_reason::user_shutdown) return;
      st.last_error = describe(msg.reason);
      st.stage = "Connecting";
      ++st.reconnects;
      st.backoff = std::min(max_backoff, st.backoff.count() ? st.backoff * 2 : first_backoff);
      DM_WARN("source {} restarts its relay in {} ms: {}", st.config.source_id,
              st.backoff.count(), st.last_error);
      self->delayed_send(self, st.backoff, restart_atom_v);
      return;
    }
    auto& ls = st.listeners;
    ls.erase(std::remove_if(ls.begin(), ls.end(),
                            [&](const relay_listener_actor& l) { return l.address() == msg.source; }),
             ls.end());
  });
  start_relay(self);
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
        st.progress = progress;
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
      [=](status_atom) { return make_status(self->state); },
  };
}

}  // namespace dm
