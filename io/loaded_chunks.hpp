// Whether chunks recorded as loaded are still downstream. Before sync starts, only the loader
// writes to the tables it loads, so a table that no longer exists, or holds fewer rows where a
// loaded chunk's rows go than the chunk had, was dropped or emptied by someone else since; such a
// chunk is not trusted as loaded and is dumped and loaded again.
//
// Blocking: runs statements on the caller's downstream connection.
#pragma once

#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "protocol/mysql_connection.hpp"
#include "storage/dump_store.hpp"

namespace dm {

// The condition selecting, in `table`'s target, the rows `condition` (a chunk's key range; ""
// for all) selects among those of `table` itself: a route merging tables with extract columns
// writes other tables' rows there too. "" when it selects every row.
std::string own_rows_condition(const storage::dump_table& table, const std::string& condition);

// Why the chunk's rows are not (all) in `table` downstream, or nullopt when they may be.
caf::expected<std::optional<std::string>> missing_chunk_rows(mysql_connection& conn,
                                                             const storage::dump_table& table,
                                                             const storage::dump_chunk& chunk);

// Checks every chunk `store` records as loaded and returns the ones that are not downstream
// any more to the planned stage (they are dumped again from a new snapshot, then loaded);
// returns how many. Logs each with its reason.
caf::expected<size_t> recheck_loaded_chunks(mysql_connection& conn, storage::dump_store& store,
                                            const std::string& label);

}  // namespace dm
