// The fence downstream: in a cluster, which owner of a source may write a task's changes there.
// `<meta-schema>`.`fence_slots` holds, per (task, source), fence_slots rows (slot 0 to
// fence_slots - 1) with the epoch of the binding that owns the source now (the create revision
// of the binding's key in etcd; a later binding has a larger one). A worker taking a part over
// raises every row to its epoch before its first write. Every applier, loader and syncer
// transaction first reads its writer's row (fence_slot) FOR UPDATE and rolls back unless it
// holds the writer's own epoch. Raising writes every row, so it waits for each open transaction
// of the old owner to end, and any transaction of the old owner begun after it sees the new
// epoch: no row of the old owner commits after the new owner raised the fence.
//
// One row per writer (not one per part) keeps writers from waiting for each other, with an
// exclusive lock taken where a shared one would do: TiDB's pessimistic transactions take
// FOR UPDATE locks, but no shared ones (LOCK IN SHARE MODE locks nothing there). Writers
// sharing a slot (more than fence_slots of them) only wait for each other. Not tried on TiDB.
//
// Schema changes are not transactional: the syncer reads its row right before one; there the
// lease (the old owner stops before the new one binds) is the guard.
//
// Pure SQL text; io/meta_tables.hpp runs it.
#pragma once

#include <cstdint>
#include <string>

#include "sync/downstream_meta.hpp"

namespace dm {

inline constexpr int32_t fence_slots = 64;

// The row of a writer: an applier's index (from 0), syncer_writer (-1), or a chunk loader's
// loader_writer(i).
int32_t fence_slot(int32_t writer);
inline int32_t loader_writer(uint32_t index) { return -2 - static_cast<int32_t>(index); }

// Raises the scope's fence to `epoch` (never lowers it). Runs until the transactions that hold
// a row of it ended.
std::string raise_fence_sql(const meta_scope& scope, int64_t epoch);

// Records when the fence holding `epoch` took effect: run after raise_fence_sql returned, its
// time follows every statement of the transactions the raise waited for (a statement's
// CURRENT_TIMESTAMP is its start time, so the raise's own would not).
std::string mark_fence_raised_sql(const meta_scope& scope, int64_t epoch);

// Reads the epoch of `writer`'s row of the scope's fence, FOR UPDATE when `lock` (inside a
// transaction).
std::string read_fence_sql(const meta_scope& scope, int32_t writer, bool lock);

}  // namespace dm
