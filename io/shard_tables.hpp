// The shard tables of one source (shard-mode: pessimistic): the upstream base tables its rules
// replicate into a merged table (a route that merges, or extract columns), grouped by that
// table, `db`.`table`. Read from the upstream's information_schema as it is now.
#pragma once

#include <caf/expected.hpp>

#include "model/config.hpp"
#include "sync/shard_locks.hpp"
#include "sync/table_rules.hpp"

namespace dm {

caf::expected<shard_table_list> list_shard_tables(const std::string& task,
                                                  const source_config& source,
                                                  table_rules& rules);

}  // namespace dm
