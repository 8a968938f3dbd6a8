// The worker's source commands: operate-source create / show / stop, purge-relay, and what
// happens when a source's actor ends.
#include <algorithm>

#include <caf/all.hpp>

#include "actors/fan_out.hpp"
#include "actors/store.hpp"
#include "actors/worker_internal.hpp"
#include "common/defaults.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "io/connection_settings.hpp"
#include "model/config_json.hpp"
#include "protocol/password_cipher.hpp"
#include "storage/relay_log.hpp"

namespace dm::worker_detail {

namespace {

caf::error probe_connection(const db_config& db, server_role role, const std::string& label) {
  auto params = to_connection_params(db);
  params.connect_timeout = std::chrono::seconds{10};
  auto conn = mysql_connection::open(params, role, label);
  return conn ? caf::none : conn.error();
}

// The last step of operate-source stop: the relay log and the source's record go (on the
// store), then the waiting commands are answered.
void finish_source_stop(self_ptr self, const std::string& id,
                        std::vector<caf::typed_response_promise<source_status>> promises) {
  auto& st = self->state;
  auto db = st.db;
  st.finishing.insert(id);
  on_store(self, st.store,
           [=] {
             storage::relay_log log{db, id};
             if (auto err = log.erase_all()) return err;
             storage::meta_store meta{db};
             if (auto err = meta.erase(relay_stage_kind, id)) return err;
             return meta.erase(source_kind, id);
           },
           [=](caf::error err) mutable {
             self->state.finishing.erase(id);
             source_status status;
             status.source_id = id;
             status.worker = self->state.worker_name;
             status.relay.stage = relay_stage::stopped;
             // Its relay and tasks are gone: no stale series stay behind.
             if (!err) metrics::registry::global().remove_labelled({{"source_id", id}});
             for (auto& rp : promises) {
               if (err) rp.deliver(err);
               else rp.deliver(status);
             }
             if (!err) DM_INFO("worker {} removed source {}", self->state.worker_name, id);
           });
}

}  // namespace

void on_source_down(self_ptr self, const std::string& id, const caf::error& reason) {
  auto& st = self->state;
  auto it = st.sources.find(id);
  if (it == st.sources.end()) return;
  auto& entry = it->second;
  entry.handle = source_actor{};
  if (!entry.stopping.empty() || entry.leaving) {
    auto promises = std::move(entry.stopping);
    st.sources.erase(it);
    return finish_source_stop(self, id, std::move(promises));
  }
  auto delay = entry.respawn.on_failure(restart_policy::clock::now(), st.random)
                   .value_or(defaults::actor_respawn.max);
  DM_ERROR("worker {} lost source {} ({}); spawning it again in {} ms", st.worker_name, id,
           describe(reason), delay.count());
  self->delayed_send(self, delay, restart_atom_v, id);
}

caf::result<source_status> create_source(self_ptr self, source_config cfg,
                                         std::function<caf::error(source_config&)> prepare) {
  auto& st = self->state;
  if ((st.sources.count(cfg.source_id) && st.sources[cfg.source_id].leaving) ||
      st.finishing.count(cfg.source_id))
    return make_error(ec::invalid_state, "source " + cfg.source_id + " is being stopped on "
                                             "worker " + st.worker_name + "; try again");
  if (st.sources.count(cfg.source_id) || is_creating(st, cfg.source_id))
    return make_error(ec::already_exists, "source " + cfg.source_id + " already exists on worker " +
                                              st.worker_name + "; stop it first to change it");
  if (auto err = check_encrypted_form(cfg.from.password, st.settings.secret_key,
                                      "source " + cfg.source_id + ": from.password"))
    return err;
  auto label = "upstream of source " + cfg.source_id + " (" + cfg.from.host + ":" +
               std::to_string(cfg.from.port) + ")";
  st.creating.push_back(cfg.source_id);
  auto rp = self->make_response_promise<source_status>();
  auto db = st.db;
  auto from = usable(cfg, st.settings.secret_key).from;
  auto prepared = std::make_shared<source_config>(cfg);
  // The upstream must answer before anything is kept; then the record, then the actor.
  auto probe = spawn_probe(self, [=]() -> caf::error {
    if (prepare)
      if (auto err = prepare(*prepared)) return err;
    if (auto err = probe_connection(from, server_role::upstream, label)) return err;
    return storage::meta_store{db}.put(source_kind, cfg.source_id, to_json(*prepared));
  });
  self->request(probe, defaults::probe_timeout, run_atom_v)
      .then(
          [=](bool) mutable {
            auto& st = self->state;
            done_creating(st, cfg.source_id);
            // In a cluster the binding may have ended while the upstream was checked.
            if (auto veto = cluster_veto(self, cfg.source_id)) {
              rp.deliver(veto);
              return;
            }
            spawn_source(self, *prepared);
            DM_INFO("worker {} created source {}", st.worker_name, cfg.source_id);
            self->request(st.sources[cfg.source_id].handle, defaults::status_timeout, status_atom_v)
                .then([=](source_status& s) mutable { rp.deliver(std::move(s)); },
                      [=](caf::error& err) mutable { rp.deliver(err); });
          },
          [=](caf::error& err) mutable {
            done_creating(self->state, cfg.source_id);
            rp.deliver(make_error(code_of(err) == ec::none ? ec::upstream_unreachable
                                                           : code_of(err),
                                  "source " + cfg.source_id + " was not created: " +
                                      describe(err)));
          });
  return rp;
}

caf::result<std::vector<source_status>> show_sources(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (!id.empty() && !st.sources.count(id))
    return not_on_worker(st, "source", id);
  std::vector<std::pair<std::string, source_actor>> targets;
  for (auto& [sid, entry] : st.sources)
    if ((id.empty() || sid == id) && entry.handle) targets.emplace_back(sid, entry.handle);
  auto rp = self->make_response_promise<std::vector<source_status>>();
  fan_out<source_status>(
      self, targets, defaults::status_timeout,
      [rp](fan_in<std::string, source_status> in) mutable {
        if (!in.errors.empty()) {
  rp.deliver(in.errors.front().second);
  return;
}
        std::vector<source_status> out;
        for (auto& [sid, s] : in.results) out.push_back(std::move(s));
        rp.deliver(std::move(out));
      },
      status_atom_v);
  return rp;
}

caf::result<source_status> stop_source(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.sources.find(id);
  if (it == st.sources.end())
    return not_on_worker(st, "source", id);
  std::vector<std::string> users;
  for (auto& [name, entry] : st.tasks)
    if (find_instance(entry.config, id)) users.push_back(name);
  if (!users.empty())
    return make_error(ec::invalid_state,
                      "source " + id + " is used by task(s) " + join(users, ", ") +
                          "; stop them first");
  auto rp = self->make_response_promise<source_status>();
  end_source(self, id, rp);
  return rp;
}

void end_source(self_ptr self, const std::string& id,
                caf::typed_response_promise<source_status> rp) {
  auto& st = self->state;
  auto it = st.sources.find(id);
  if (it == st.sources.end()) {
    rp.deliver(not_on_worker(st, "source", id));
    return;
  }
  it->second.stopping.push_back(rp);
  if (it->second.stopping.size() > 1) return;
  if (it->second.handle) {
    self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
  } else {
    // Between an unexpected end and its respawn: nothing runs.
    auto promises = std::move(it->second.stopping);
    st.sources.erase(it);
    finish_source_stop(self, id, std::move(promises));
  }
}

void stop_source_quietly(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.sources.find(id);
  if (it == st.sources.end() || it->second.leaving || !it->second.stopping.empty()) return;
  it->second.leaving = true;
  if (it->second.handle) {
    self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
  } else {
    st.sources.erase(it);
    finish_source_stop(self, id, {});
  }
}

caf::result<purge_result> purge_relay(self_ptr self, const std::string& id,
                                      const std::string& before_file) {
  auto& st = self->state;
  auto it = st.sources.find(id);
  if (it == st.sources.end() || !it->second.handle)
    return not_on_worker(st, "source", id);
  auto rp = self->make_response_promise<purge_result>();
  self->request(it->second.handle, defaults::probe_timeout, purge_relay_atom_v, before_file)
      .then([=](purge_result& r) mutable { rp.deliver(std::move(r)); },
            [=](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<source_status> relay_op(self_ptr self, const std::string& op, const std::string& id) {
  auto& st = self->state;
  if (op != "start" && op != "stop" && op != "pause" && op != "resume")
    return make_error(ec::invalid_argument, "relay operations are start, stop, pause and "
                                            "resume, not '" + op + "'");
  auto it = st.sources.find(id);
  if (it == st.sources.end()) return not_on_worker(st, "source", id);
  if (!it->second.stopping.empty())
    return make_error(ec::invalid_state, "source " + id + " is being stopped");
  auto cfg = it->second.config;
  if (op == "start" || op == "stop") cfg.enable_relay = op == "start";
  bool held = op == "pause" ? true : op == "resume" ? false : it->second.relay_paused;
  auto db = st.db;
  auto record = to_json(cfg);
  auto rp = self->make_response_promise<source_status>();
  // Kept first, so that a restart finds the source as the operator left it.
  on_store(self, st.store,
           [=] {
             storage::meta_store meta{db};
             if (auto err = meta.put(source_kind, id, record)) return err;
             return held ? meta.put(relay_stage_kind, id, "Paused")
                         : meta.erase(relay_stage_kind, id);
           },
           [=](caf::error err) mutable {
             auto& st = self->state;
             auto it = st.sources.find(id);
             if (!err && it == st.sources.end())
               err = make_error(ec::invalid_state, "source " + id + " ended meanwhile");
             if (err) {
               rp.deliver(err);
               return;
             }
             it->second.config = cfg;
             it->second.relay_paused = held;
             self->request(it->second.handle, defaults::status_timeout, relay_op_atom_v, op)
                 .then([=](source_status& s) mutable { rp.deliver(std::move(s)); },
                       [=](caf::error& e) mutable { rp.deliver(e); });
           });
  return rp;
}

}  // namespace dm::worker_detail
