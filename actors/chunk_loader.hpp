// One downstream connection of a loader. A chunk is loaded in one transaction together with its
// completion mark, a row of `<meta-schema>`.`load_marks` (downstream_meta.hpp); a chunk whose
// mark of this run is already there, and whose table holds at least the chunk's number of rows
// in the chunk's key range, was committed before a crash and is not loaded again (a table
// dropped or emptied since is loaded again). Before its first chunk of a table it creates the
// target database and table if they do not exist (an existing table is kept).
//
// Files are loaded with LOAD DATA LOCAL INFILE (the connection sends only the chunk's files).
// Any warning but a duplicate key rolls the chunk back and fails it: a warning means a value
// was not stored exactly. Rows whose keys the table already holds are first skipped (LOAD DATA
// LOCAL's default, which warns about each); then on-duplicate decides: `ignore` keeps the
// skip, `replace` loads the chunk again with REPLACE, `error` fails.
//
// A table it creates is created without its plain secondary indexes (recorded in the dump
// store first); the loader has them added back once every chunk is loaded, each built once by
// sorting instead of kept ordered under every loaded row.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "sync/downstream_meta.hpp"
#include "actors/interfaces.hpp"
#include "protocol/mysql_connection.hpp"

namespace dm {

struct chunk_loader_state {
  static inline const char* name = "chunk_loader";

  std::optional<mysql_connection> conn;
  std::string task;
  std::string source;
  // Its rows in the meta tables, and the run of the full migration (downstream_meta.hpp).
  meta_scope scope;
  uint64_t run = 0;
  // Its number in the loader's pool (its row of the fence: loader_writer).
  uint32_t index = 0;
  // The owner's epoch in a cluster: each chunk's transaction checks the fence first
  // (sync/downstream_fence.hpp); 0 outside a cluster.
  int64_t epoch = 0;
  // The loader's on-duplicate.
  dm::on_duplicate on_duplicate = dm::on_duplicate::replace;
  std::string dir;
  std::set<std::pair<std::string, std::string>> created;
  // Where the deferred indexes of the tables it creates are recorded.
  std::shared_ptr<storage::dump_store> store;
};

// Loads into the task's target database; files are read from `dir`; deferred indexes are
// recorded in `db`; marks carry the full migration's `run`; `index` is its number in the pool.
chunk_loader_actor::behavior_type chunk_loader(
    chunk_loader_actor::stateful_pointer<chunk_loader_state> self, task_config task,
    std::string source, int64_t epoch, std::string dir, std::shared_ptr<storage::database> db,
    uint64_t run, uint32_t index);

}  // namespace dm
