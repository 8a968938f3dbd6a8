// The shard DDL locks of a task in a cluster (shard-mode pessimistic with the task's sources on
// several workers): one record per task in etcd, /dmw/shard-locks/<task>, shared by the shard
// coordinators of the workers that run the task's parts (actors/shard_coordinator.hpp). It
// holds the lock book with every source's shard tables (shard_lock_book::save with shards) and
// the last wake-ups: each time a lock is to run or resolved, a numbered entry names the sources
// whose syncers must replay, so that each coordinator wakes its own. Blocking.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "io/etcd_client.hpp"
#include "sync/shard_locks.hpp"

namespace dm {

struct shard_wakeup {
  int64_t seq = 0;
  std::string target;
  std::set<std::string> sources;
};

struct shard_lock_record {
  // shard_lock_book::save(task, true); empty for a task with no record yet.
  std::string book;
  // The number of the last wake-up, and the last ones (at most shard_wakeups_kept).
  int64_t seq = 0;
  std::vector<shard_wakeup> wakeups;
  // The revision etcd last wrote it at; 0 when absent.
  int64_t mod_revision = 0;
};

inline constexpr size_t shard_wakeups_kept = 256;

// etcd's key of the locks of `task` (the prefix of all tasks' when empty).
std::string shard_locks_key(const std::string& task);

// The record of `task` (an empty one, mod_revision 0, when there is none).
caf::expected<shard_lock_record> read_shard_locks(etcd_client& etcd, const std::string& task);

// Writes `record` for `task` only if etcd still has it at `record.mod_revision` (0: absent) and
// the task's record (tasks/<task>) has the create revision `task_revision`: false when another
// worker wrote it since (read it again and redo the change), or the task stopped.
caf::expected<bool> write_shard_locks(etcd_client& etcd, const std::string& task,
                                      int64_t task_revision, const shard_lock_record& record);

// Merged tables whose locks are to run or resolved, with the sources whose syncers replay (what
// shard_lock_book's changes answer).
using shard_wakeups = std::map<std::string, std::set<std::string>>;

// Changes the locks of `task` in etcd: loads its record into `book` (replacing what `book` had
// of the task), runs `change` on it, and writes the book back, with a numbered wake-up per
// merged table `change` answers, only if no other worker wrote the record meanwhile; else does
// it again on the newer record. Answers the record as written. `change` may run several times;
// when it fails, nothing is written. Fails when the task is no longer in etcd.
caf::expected<shard_lock_record> update_shard_locks(
    etcd_client& etcd, const std::string& task, shard_lock_book& book,
    const std::function<caf::expected<shard_wakeups>(shard_lock_book&)>& change);

// The tasks with a record.
caf::expected<std::vector<std::string>> shard_lock_tasks(etcd_client& etcd);

}  // namespace dm
