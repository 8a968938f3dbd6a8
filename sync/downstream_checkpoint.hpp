// The sync checkpoint kept downstream, in `<meta-schema>`.`sync_checkpoints`, so that any worker
// can go on with a (task, source) exactly where the last one left it (a cluster's failover).
//
// A (task, source) has one row per writer and owner (the epoch of its binding in a cluster, 0
// outside one; a new owner's rows never overwrite an old owner's, which stay as evidence of
// when each owner wrote):
//   - each applier (writer = its index) upserts its row in every transaction it commits, with
//     the checkpoint the syncer knew applied when the batch left and a high-water mark just past
//     the batch's last event;
//   - the syncer (writer = syncer_writer) upserts its row before a schema change runs downstream
//     (the checkpoint before it, the mark past it), and when it is idle or stops in order.
// Every row's checkpoint was applied in full when the row was written, and every change
// committed downstream lies before the mark of the row written with it. An owner's syncer
// writes its start row (before anything else of it commits) with the checkpoint and mark it
// took over, and marks never go below what the syncer replays to. So the largest checkpoint and
// the largest mark among the latest owner's rows are a checkpoint and a high-water mark of the
// whole (task, source): a worker that starts there replays in safe mode up to the mark.
//
// Keys are the writer's relay keys: their segment numbers (a count of upstream identity
// changes the writer's relay saw) belong to that worker's relay; the upstream position beside
// them is what another worker's relay can find.
//
// Pure SQL text and arithmetic; io/meta_tables.hpp reads the rows back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/messages.hpp"
#include "storage/checkpoint_store.hpp"
#include "sync/downstream_meta.hpp"

namespace dm {

// The writer number of the syncer's own row (appliers use their index, from 0).
inline constexpr int32_t syncer_writer = -1;

// One row of `sync_checkpoints`.
struct checkpoint_row {
  int32_t writer = 0;
  int64_t epoch = 0;
  uint64_t run = 0;
  checkpoint_mark mark;
  // When the row was last written, as the downstream printed it (orders rows of several runs).
  std::string updated;
};

// The upsert of `writer`'s row for the scope under owner `epoch`.
std::string checkpoint_row_sql(const meta_scope& scope, int64_t epoch, int32_t writer,
                               uint64_t run, const checkpoint_mark& mark);

// The checkpoint the rows prove, in their writer's relay keys: the run of the most recently
// written row, then the largest epoch (the latest owner) of that run, and the largest checkpoint
// and the largest mark among those rows; clean (no replay) when the mark is not past the
// checkpoint. Nullopt without rows.
std::optional<storage::sync_checkpoint> merge_checkpoint_rows(
    const std::vector<checkpoint_row>& rows);

}  // namespace dm
