// Where the syncer of a task-mode all task starts: at the earliest snapshot the dump read
// from, replaying in safe mode up to the latest one (they differ after a dump restart or with
// consistency none). Written as the task's sync checkpoint, which also keeps the relay from
// purging the binlog the syncer will need while dump and load run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "common/position.hpp"
#include "storage/dump_store.hpp"

namespace dm {

namespace storage {
class database;
}

// Saves the sync checkpoint: start at `earliest` (with `gtid`, the GTID set there), safe mode
// until `latest`. Keys are placed in the relay's current segment.
caf::error save_sync_start(const std::shared_ptr<storage::database>& db, const std::string& task,
                           const std::string& source, const binlog_position& earliest,
                           const std::string& gtid, const binlog_position& latest);

// The same from the snapshots of dumped chunks; does nothing when there are none.
caf::error save_sync_start(const std::shared_ptr<storage::database>& db, const std::string& task,
                           const std::string& source,
                           const std::vector<storage::dump_chunk>& chunks);

// Orders snapshot positions by binlog file index, then offset.
bool snapshot_before(const binlog_position& a, const binlog_position& b);

}  // namespace dm
