// The load of one (task, source): hands chunks from the dumper to `pool-size` chunk loaders,
// records each loaded chunk in RocksDB, gives the dumper a credit per loaded chunk, and removes
// a chunk's files once it is loaded (unless clean-dump-file is false). When the dumper is done
// and every chunk is loaded it has the secondary indexes left out of the tables it created
// added back (chunk_loader.hpp), records where sync starts (task-mode all, sync_start.hpp), marks
// the load finished, and ends normally.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/interfaces.hpp"

namespace dm {

namespace storage {
class database;
}

struct loader_state {
  static inline const char* name = "loader";

  task_config task;
  std::string source_id;
  // The owner's epoch in a cluster, which every chunk's transaction checks (0: none).
  int64_t epoch = 0;
  std::shared_ptr<storage::database> db;
  std::unique_ptr<storage::dump_store> store;
  task_actor parent;
  std::string dir;
  std::string label;
  bool clean_files = true;

  caf::actor dumper;
  std::vector<chunk_loader_actor> idle;
  size_t busy = 0;
  std::deque<std::pair<storage::dump_table, storage::dump_chunk>> queue;
  // Chunk loaders busy per table: an idle one takes the first queued chunk of a table nobody
  // loads, if there is one (loads into one table contend with each other).
  std::map<std::pair<std::string, std::string>, size_t> loading;
  bool dump_done = false;
  // Tables whose secondary indexes wait to be added once every chunk is loaded (listed from
  // the dump store then).
  std::deque<storage::deferred_indexes> deferred;
  bool deferred_listed = false;
  // Loaded chunks per table, to count finished tables.
  std::map<std::pair<std::string, std::string>, uint32_t> loaded_per_table;
  // Chunks counted in `counters` (by id).
  std::set<std::string> counted;
  load_counters counters;
};

loader_actor::behavior_type loader(loader_actor::stateful_pointer<loader_state> self,
                                   task_config task, std::string source_id, int64_t epoch,
                                   std::shared_ptr<storage::database> db, task_actor parent,
                                   std::string dir);

}  // namespace dm
