#include "io/sync_start.hpp"

#include "storage/checkpoint_store.hpp"
#include "storage/relay_log.hpp"

namespace dm {

bool snapshot_before(const binlog_position& a, const binlog_position& b) {
  auto ia = binlog_file_index(a.file).value_or(0);
  auto ib = binlog_file_index(b.file).value_or(0);
  if (ia != ib) return ia < ib;
  return a.pos < b.pos;
}

caf::error save_sync_start(const std::shared_ptr<storage::database>& db, const std::string& task,
                           const std::string& source, const binlog_position& earliest,
                           const std::string& gtid, const binlog_position& latest) {
  storage::relay_log relay{db, source};
  auto state = relay.load_state();
  if (!state) return state.error();
  uint32_t segment = *state ? (*state)->segment : 0;
  auto key = [&](const binlog_position& p) {
    return relay_key{segment, binlog_file_index(p.file).value_or(0), p.pos};
  };
  storage::sync_checkpoint cp;
  cp.next = key(earliest);
  cp.position = earliest;
  cp.gtid_set = gtid;
  cp.safe_until = key(latest);
  // Nothing past `earliest` is applied yet; an unclean-stop replay is only needed, and only
  // marked, when the snapshots differ.
  cp.clean_stop = !(cp.next < cp.safe_until);
  if (cp.clean_stop) cp.safe_until = cp.next;
  storage::checkpoint_store checkpoints{db};
  return checkpoints.save_sync(task, source, cp, true);
}

caf::error save_sync_start(const std::shared_ptr<storage::database>& db, const std::string& task,
                           const std::string& source,
                           const std::vector<storage::dump_chunk>& chunks) {
  const storage::dump_chunk* earliest = nullptr;
  const storage::dump_chunk* latest = nullptr;
  for (auto& c : chunks) {
    if (c.snapshot.empty()) continue;
    if (!earliest || snapshot_before(c.snapshot, earliest->snapshot)) earliest = &c;
    if (!latest || snapshot_before(latest->snapshot, c.snapshot)) latest = &c;
  }
  if (!earliest) return caf::none;
  return save_sync_start(db, task, source, earliest->snapshot, earliest->snapshot_gtid,
                         latest->snapshot);
}

}  // namespace dm
