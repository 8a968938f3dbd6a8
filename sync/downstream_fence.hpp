// The fence downstream: in a cluster, which owner of a source may write a task's changes there.
// `<meta-schema>`.`fences` holds one row per (task, source) with the epoch of the binding that
// owns it now (the create revision of the binding's key in etcd; a later binding has a larger
// one). A worker taking a part over raises the row to its epoch before its first write; every
// applier and loader transaction first reads the row with a shared lock and rolls back unless
// it holds the writer's own epoch. Raising takes an exclusive lock, so it waits for the old
// owner's open transactions to end, and any transaction of the old owner begun after it sees
// the new epoch: no row of the old owner commits after the new owner raised the fence.
//
// Schema changes are not transactional: the syncer reads the row (without a lock) right before
// one; there the lease (the old owner stops before the new one binds) is the guard.
//
// Pure SQL text; io/meta_tables.hpp runs it.
#pragma once

#include <cstdint>
#include <string>

#include "sync/downstream_meta.hpp"

namespace dm {

// Raises the scope's fence to `epoch` (never lowers it). Runs until the transactions that hold
// the fence ended.
std::string raise_fence_sql(const meta_scope& scope, int64_t epoch);

// Records when the fence holding `epoch` took effect: run after raise_fence_sql returned, its
// time follows every statement of the transactions the raise waited for (a statement's
// CURRENT_TIMESTAMP is its start time, so the raise's own would not).
std::string mark_fence_raised_sql(const meta_scope& scope, int64_t epoch);

// Reads the scope's fence epoch, under a shared lock when `lock` (inside a transaction).
std::string read_fence_sql(const meta_scope& scope, bool lock);

}  // namespace dm
