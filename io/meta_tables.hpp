// The meta tables downstream (sync/downstream_meta.hpp), read and cleared over a connection.
// Blocking.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "model/messages.hpp"
#include "protocol/mysql_connection.hpp"
#include "sync/downstream_checkpoint.hpp"
#include "sync/downstream_fence.hpp"
#include "sync/downstream_meta.hpp"

namespace dm {

// The apply marks of the scope's run `run`, by group; empty when the table does not exist yet.
caf::expected<std::map<std::string, change_origin>> load_apply_marks(mysql_connection& conn,
                                                                     const meta_scope& scope,
                                                                     uint64_t run);

// The scope's rows of `sync_checkpoints`; empty when the table does not exist yet.
caf::expected<std::vector<checkpoint_row>> load_checkpoint_rows(mysql_connection& conn,
                                                                const meta_scope& scope);

// Whether `writer`'s row of the scope's fence (sync/downstream_fence.hpp) holds `epoch`, read
// FOR UPDATE when `lock` (inside the transaction it guards). An error, saying that another
// worker owns the source now, when it holds another epoch or none.
caf::error check_fence(mysql_connection& conn, const meta_scope& scope, int32_t writer,
                       int64_t epoch, bool lock);

// Raises the scope's fence to `epoch`, waiting for transactions that hold it; an error when a
// newer owner raised it further already.
caf::error raise_fence(mysql_connection& conn, const meta_scope& scope, int64_t epoch);

// Removes every row of the scope from every table (stop-task, start-task --remove-meta). A
// meta schema or table that does not exist holds nothing to remove.
caf::error erase_meta_rows(mysql_connection& conn, const meta_scope& scope);

}  // namespace dm
