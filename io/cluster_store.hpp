// The cluster's records in etcd, under /dmw/ (ids are [A-Za-z0-9_.-], so keys need no escaping):
//
//   workers/<w>     = admin address     the worker at start; dmctl offline-member removes it
//   alive/<w>       = ""                the worker, under its lease
//   leader          = <w>               the scheduling worker, under its lease (created if absent)
//   sources/<s>     = source config     dmctl operate-source create / stop
//   assign/<s>      = <w>               the leader, guarded by the create revision of `leader`
//   bound/<s>       = <w>               the assignee, created only if absent, under its lease
//   last-bound/<s>  = <w>               the owner when it binds; a preference, never removed
//   tasks/<t>       = task config       dmctl start-task / stop-task; each source's owner runs
//                                       the task's part on that source
//   stages/<t>      = {"run", "paused"} dmctl pause-task / resume-task: the sources whose part
//                                       is paused, for the task's record created at revision
//                                       `run`; written, never removed, while the task exists
//   loading/<t>/<s> = <w>               the worker whose full migration of the task's part on
//                                       source s began loading and has not reached sync (its
//                                       dump files are there); written by that worker, removed
//                                       by it at sync and by dmctl stop-task
//   shard-locks/<t> = lock book         shard-mode pessimistic: the task's shard DDL locks
//                                       (io/shard_lock_records.hpp), changed by compare-and-swap
//
// A worker runs a source only while bound/<s> names it; the key ends with the worker's lease, so
// a dead or cut-off worker's sources are free again after keepalive-ttl.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "io/etcd_client.hpp"
#include "model/cluster_plan.hpp"

namespace dm::cluster_keys {

inline const std::string root = "/dmw/";
inline std::string worker(const std::string& w) { return root + "workers/" + w; }
inline std::string alive(const std::string& w) { return root + "alive/" + w; }
inline const std::string leader = root + "leader";
inline std::string source(const std::string& s) { return root + "sources/" + s; }
inline std::string assign(const std::string& s) { return root + "assign/" + s; }
inline std::string bound(const std::string& s) { return root + "bound/" + s; }
inline std::string last_bound(const std::string& s) { return root + "last-bound/" + s; }
inline std::string task(const std::string& t) { return root + "tasks/" + t; }
inline std::string stage(const std::string& t) { return root + "stages/" + t; }
inline std::string loading(const std::string& t, const std::string& s) {
  return root + "loading/" + t + "/" + s;
}

}  // namespace dm::cluster_keys

namespace dm {

// Reads every record above (one linearizable read per prefix).
caf::expected<cluster_view> read_cluster_view(etcd_client& etcd);

// The value of stages/<t>: the sources whose part is paused, for the task's record created at
// revision `run` (a stage left by an earlier task of the same name does not apply).
std::string task_stage_value(int64_t run, const std::vector<std::string>& paused);
// The paused sources a stages/<t> value holds for the task's record created at revision `run`;
// nullopt when it is unreadable or was written for another record.
std::optional<std::vector<std::string>> task_stage_paused(const std::string& value, int64_t run);

}  // namespace dm
