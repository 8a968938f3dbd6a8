// What the worker's files share (worker.hpp): not for use outside the worker.
#pragma once

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "actors/worker.hpp"
#include "common/error.hpp"

namespace dm::worker_detail {

using self_ptr = worker_actor::stateful_pointer<worker_actor_state>;

// Meta store kinds of the worker's records.
inline constexpr const char* source_kind = "source";
inline constexpr const char* task_kind = "task";
// Present (value "Paused") while pause-relay holds a source's relay.
inline constexpr const char* relay_stage_kind = "relay_stage";
// Present while the operator holds parts of the task paused: the paused sources,
// comma-separated ("Paused", written by earlier versions, stands for every source).
inline constexpr const char* task_stage_kind = "task_stage";

// The paused sources a task_stage_kind record names.
std::set<std::string> paused_sources(const std::string& record, const task_config& config);

// The config as the units use it: passwords decrypted (the stored config keeps what was given).
source_config usable(source_config c, const std::string& key);
task_config usable(task_config c, const std::string& key);

// Runs a blocking check on a thread of its own; the returned actor replies `true` to run_atom,
// or the check's error.
caf::actor spawn_probe(self_ptr self, std::function<caf::error()> check);

std::string join(const std::vector<std::string>& parts, const char* separator = "; ");

// "task T does not exist on worker W" (kind "task" or "source").
inline caf::error not_on_worker(const worker_actor_state& st, const char* kind,
                                const std::string& name) {
  return make_error(ec::not_found,
                    std::string{kind} + " " + name + " does not exist on worker " + st.worker_name);
}

// Names being created (between their checks and their spawn) are taken.
inline bool is_creating(const worker_actor_state& st, const std::string& name) {
  return std::find(st.creating.begin(), st.creating.end(), name) != st.creating.end();
}
inline void done_creating(worker_actor_state& st, const std::string& name) {
  st.creating.erase(std::remove(st.creating.begin(), st.creating.end(), name), st.creating.end());
}

// Delivers a value or its error.
template <class T>
void deliver(caf::typed_response_promise<T>& rp, caf::expected<T> result) {
  if (result) rp.deliver(std::move(*result));
  else rp.deliver(result.error());
}

// The source's actor, spawned and monitored.
void spawn_source(self_ptr self, const source_config& cfg);
// A task actor for each source of `entry` bound here.
void spawn_subtasks(self_ptr self, const std::string& name,
                    worker_actor_state::task_entry& entry);
// The task part of `name` on `source_id`, spawned and monitored.
void spawn_subtask(self_ptr self, const std::string& name, worker_actor_state::task_entry& entry,
                   const std::string& source_id);

// A source that ended (operate-source stop, or unexpectedly); a task part that ended.
void on_source_down(self_ptr self, const std::string& id, const caf::error& reason);
void on_subtask_down(self_ptr self, const std::string& name, const std::string& source_id,
                     const caf::error& reason);

// Source commands (worker_sources.cpp).
// `prepare` (blocking, on the probe's thread) may change the config before it is kept.
caf::result<source_status> create_source(self_ptr self, source_config cfg,
                                         std::function<caf::error(source_config&)> prepare = {});
caf::result<std::vector<source_status>> show_sources(self_ptr self, const std::string& id);
caf::result<source_status> stop_source(self_ptr self, const std::string& id);
// Stops source `id` (no task may use it any more) and answers `rp` once it is removed.
void end_source(self_ptr self, const std::string& id,
                caf::typed_response_promise<source_status> rp);
// DM's start-relay, stop-relay, pause-relay and resume-relay on source `id`.
caf::result<source_status> relay_op(self_ptr self, const std::string& op, const std::string& id);
caf::result<purge_result> purge_relay(self_ptr self, const std::string& id,
                                      const std::string& before_file);

// Cluster (worker_cluster.cpp): the member's requests. A worker with `join` refuses the local
// commands that would create or remove sources and tasks (`refused_in_cluster` says why).
caf::error refused_in_cluster(const worker_actor_state& st, const std::string& command);
caf::result<source_status> cluster_bind(self_ptr self, source_config cfg);
caf::result<source_status> cluster_release(self_ptr self, const std::string& id);
// Why a source whose upstream check just passed must not start in a cluster (its creation was
// cancelled, or the lease is not proven alive), none outside one.
caf::error cluster_veto(self_ptr self, const std::string& id);
// Stops every task part and source now (the lease is not proven alive).
void fence(self_ptr self, const char* why);
// Runs the parts of the cluster's tasks (worker_actor_state::cluster_tasks) on the sources
// running here: starts those missing, from the checkpoint kept downstream.
void run_cluster_tasks(self_ptr self);
// A task the cluster stopped here ended its last part: sources waiting for it stop now.
void on_cluster_task_gone(self_ptr self);
// The lease is proven alive until `until_ms`; the worker fences itself if no newer proof comes.
void note_lease_proof(self_ptr self, int64_t until_ms);
// Stops a source nobody waits on; it is removed when its actor ends.
void stop_source_quietly(self_ptr self, const std::string& id);

// Task commands (worker_tasks.cpp).
// The last steps of start-task (after its precheck): parts on `here` without a checkpoint start
// where their `meta` or the upstream now says (incremental); then the task is kept and started.
void start_from_now(self_ptr self, const task_config& cfg, const std::vector<std::string>& here,
                    int64_t start_time, caf::typed_response_promise<task_status> rp);
// `start_time`: DM's --start-time in unix seconds, 0 for none.
caf::result<task_status> start_task(self_ptr self, task_config cfg, bool remove_meta,
                                    int64_t start_time);
caf::result<std::vector<check_item>> check_task(self_ptr self, task_config cfg);
caf::result<status_reply> query_status(self_ptr self, const std::string& name);
// `sources`: DM's -s, empty for every part of the task.
caf::result<task_status> stop_task(self_ptr self, const std::string& name,
                                   const std::vector<std::string>& sources);
// `at`: binlog -b's "file:pos", empty for the event each part stopped on.
caf::result<task_status> handle_error(self_ptr self, const std::string& name,
                                      const std::string& action, const std::string& sql,
                                      const std::string& at,
                                      const std::vector<std::string>& sources);
caf::result<task_status> set_paused(self_ptr self, const std::string& name, bool paused,
                                    const std::vector<std::string>& sources);
// set_paused answering `rp` (a default promise for nobody), for the worker's own use.
void change_paused(self_ptr self, const std::string& name, bool paused,
                   const std::vector<std::string>& sources,
                   caf::typed_response_promise<task_status> rp);
caf::result<task_status> update_task(self_ptr self, task_config updated);
caf::result<std::string> binlog_schema(self_ptr self, const std::string& task,
                                       const std::string& db, const std::string& table);

}  // namespace dm::worker_detail
