// The root of a dm-worker process and its admin endpoint: binds sources, runs tasks, answers
// dmctl. Sources and tasks are persisted in the meta store and restored when the worker starts.
//
// Creating objects is all or nothing: a source is persisted only after its upstream accepted a
// connection, a task only after its precheck passed and every source it needs here exists.
// Removing waits until the object's units have ended, then deletes its stored data. A source or
// task part that ends unexpectedly is spawned again after a backoff (defaults::actor_respawn).
// Shutting down (an exit message, e.g. on SIGTERM) stops every task, then every source, waits
// for them to end (each saves its checkpoint; the tasks kill units that do not stop within
// defaults::shutdown_grace), and then ends the worker; stored data stays.
//
// The behavior is split by concern: worker.cpp (wiring, restore, supervision, shutdown),
// worker_sources.cpp (operate-source, purge-relay), worker_tasks.cpp (task commands and status).
// Blocking storage work runs on the store (store.hpp); blocking checks on probes of their own.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/interfaces.hpp"
#include "common/restart_policy.hpp"
#include "storage/checkpoint_store.hpp"
#include "storage/meta_store.hpp"

namespace dm {

namespace storage {
class database;
}  // namespace storage

struct worker_actor_state {
  static inline const char* name = "worker";

  struct source_entry {
    source_config config;
    source_actor handle;
    // Set while operate-source stop waits for the source to end.
    std::vector<caf::typed_response_promise<source_status>> stopping;
    // Respawning after unexpected ends.
    restart_policy respawn{};
    // pause-relay holds its relay (persisted).
    bool relay_paused = false;
    // Being stopped with nobody waiting for the answer (the cluster took it away): it is
    // removed once its actor ends, like operate-source stop.
    bool leaving = false;
  };
  struct task_entry {
    task_config config;
    // One task actor per source of the task bound to this worker.
    std::map<std::string, task_actor> subtasks;
    std::vector<caf::typed_response_promise<task_status>> stopping;
    // Sources whose part pause-task paused (persisted); those parts start paused.
    std::set<std::string> paused;
    // In a cluster: the etcd revision of the stage (stages/<t>) the parts here last followed.
    int64_t cluster_stage_revision = 0;
    // update-task is changing its subtasks' rules (pause, resume, handle-error, stop and
    // another update wait).
    bool updating = false;
    // stop-task -s is ending some of this worker's parts (other commands wait): the sources it
    // ends, those whose actor has yet to end, and who waits for the answer.
    struct part_stop {
      std::set<std::string> sources;
      std::set<std::string> waiting;
      caf::typed_response_promise<task_status> promise;
    };
    std::optional<part_stop> parting;
    // Respawning parts after unexpected ends, by source.
    std::map<std::string, restart_policy> respawn;
    // In a cluster: the cluster is stopping the parts here (a source went elsewhere, or the
    // lease is not proven alive). They end without a respawn; their records stay, and the entry
    // goes with the last one.
    bool leaving = false;
  };

  worker_settings settings;
  std::string worker_name;
  std::string worker_addr;
  std::shared_ptr<storage::database> db;
  std::unique_ptr<storage::meta_store> meta;
  std::unique_ptr<storage::checkpoint_store> checkpoints;
  store_actor store;
  // The shard DDL locks of this worker's tasks (shard-mode: pessimistic).
  shard_coordinator_actor shard_locks;
  std::map<std::string, source_entry> sources;
  std::map<std::string, task_entry> tasks;
  // Names being created (between the connection check and the spawn).
  std::vector<std::string> creating;
  std::mt19937_64 random{std::random_device{}()};
  // In a cluster (settings.join): the member that holds this worker's etcd lease and bindings,
  // and until when (steady clock, ms) the lease is proven alive; sources run only before then.
  caf::actor cluster_member;
  int64_t lease_proven_until_ms = 0;
  // Sources being created that the cluster took away meanwhile (fence or release): they do not
  // start when their upstream check ends.
  std::set<std::string> creation_cancelled;
  // The tasks in etcd, as the member last sent them (each with its incarnation).
  std::vector<task_config> cluster_tasks;
  // Per cluster task: the sources whose parts were taken over here (only those are spawned).
  std::map<std::string, std::set<std::string>> cluster_parts_taken;
  // Tasks running here that are no longer in etcd, since when (steady clock, ms).
  std::map<std::string, int64_t> cluster_unwanted_since;
  // Why a cluster task last failed to start here, by task (each reason is logged once).
  std::map<std::string, std::string> cluster_task_problems;
  // Sources the member asked to stop whose task parts are still ending, with who waits.
  std::map<std::string, std::vector<caf::typed_response_promise<source_status>>> releasing;
  // Sources whose stored data is being removed after their actor ended: not created again
  // until that is done.
  std::set<std::string> finishing;
  // Set by an exit message: tasks stop first, then sources, then the worker ends.
  bool shutting_down = false;
  caf::error shutdown_reason;
};

worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_actor_state> self,
                                   worker_settings settings,
                                   std::shared_ptr<storage::database> db);

}  // namespace dm
