// The online schema changes in progress of each (task, source) (sync/online_ddl.hpp), kept in
// the meta store: a shadow table's recorded ALTERs must outlive a restart or a crash between
// the ALTER and the swap. Blocking (RocksDB, synced writes).
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "storage/meta_store.hpp"
#include "sync/online_ddl.hpp"

namespace dm {

caf::expected<shadow_migrations> load_shadow_migrations(storage::meta_store& meta,
                                                        const std::string& task,
                                                        const std::string& source);
caf::error save_shadow_migration(storage::meta_store& meta, const std::string& task,
                                 const std::string& source, const shadow_migration& migration);
caf::error erase_shadow_migration(storage::meta_store& meta, const std::string& task,
                                  const std::string& source, const std::string& key);
// Every record of `task` on `source`, or on any source when `source` is empty (the task, or its
// part on that source, is removed).
caf::error erase_task_shadow_migrations(storage::meta_store& meta, const std::string& task,
                                        const std::string& source = "");

}  // namespace dm
