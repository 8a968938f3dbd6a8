// The dump of one (task, source). On start it decides from the dump records (dump_store.hpp)
// what is left: tables to plan, chunks to dump, chunks dumped but not yet loaded. If anything
// must be read it opens `threads` upstream connections in one snapshot:
//
//   consistency flush: FLUSH TABLES WITH READ LOCK on a control connection, then START
//     TRANSACTION WITH CONSISTENT SNAPSHOT on each, SHOW MASTER STATUS, UNLOCK TABLES: every
//     connection sees the same binlog position, and the lock is held only for that moment.
//   consistency none: no lock (no RELOAD privilege needed); each connection opens its own
//     snapshot and records its position (MariaDB's binlog_snapshot_file/position). Chunks then
//     come from slightly different points; sync replays the binlog between the earliest and the
//     latest of them in safe mode, which makes the copy exact for tables with a key.
//
// A restart after a crash takes a new snapshot for what is left; chunks keep their key ranges,
// so the same argument covers chunks from the old and the new snapshot.
//
// On the first run it chooses the tables (block-allow list), their targets (routes) and their
// CREATE statements, and (task-mode all) records a sync checkpoint at the snapshot, so the
// relay keeps the binlog from there.
//
// Dumped chunks go to the loader with credits: at most `2 x pool-size` chunks are on disk and
// not yet loaded, which bounds the dump files. The dumper ends normally once every chunk is
// handed over. Tables are dumped side by side rather than one after the other (in_pipeline).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "protocol/mysql_connection.hpp"

namespace dm {

namespace storage {
class database;
}

struct dumper_state {
  static inline const char* name = "dumper";

  task_config task;
  mysql_instance instance;
  source_config source;
  std::shared_ptr<storage::database> db;
  std::unique_ptr<storage::dump_store> store;
  task_actor parent;
  loader_actor loader;
  std::string dir;
  std::string label;

  std::map<std::pair<std::string, std::string>, storage::dump_table> tables;
  std::map<std::string, storage::dump_chunk> chunks;
  std::deque<std::pair<std::string, std::string>> to_plan;
  std::deque<std::string> to_dump;
  std::deque<std::string> to_hand_over;
  std::vector<dump_reader_actor> idle_readers;
  size_t busy_readers = 0;
  size_t dumping = 0;
  // Chunks handed to the loader and not yet loaded, and the most there may be.
  size_t handed_over = 0;
  size_t max_unloaded = 0;
  // Per table: chunks being dumped or dumped and not yet loaded. The next chunk to dump comes
  // from the table with the fewest, so that loaders write to different tables at once (loads
  // into one InnoDB table contend on its index latches and split pages mid-tree).
  std::map<std::pair<std::string, std::string>, size_t> in_pipeline;
  dump_counters counters;
};

dumper_actor::behavior_type dumper(dumper_actor::stateful_pointer<dumper_state> self,
                                   task_config task, source_config source,
                                   std::shared_ptr<storage::database> db, task_actor parent,
                                   loader_actor loader, std::string dir);

}  // namespace dm
