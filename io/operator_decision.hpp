// Operator decisions about the event a task stopped on (dmctl handle-error), or about the event
// at a given position ahead (binlog -b): skip it, or run given SQL instead. Kept in the meta store until the syncer has acted on it, so a restart in
// between does not lose it. Blocking (RocksDB).
#pragma once

#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "storage/meta_store.hpp"
#include "sync/event_plan.hpp"

namespace dm {

caf::expected<std::optional<operator_decision>> load_decision(storage::meta_store& meta,
                                                              const std::string& task,
                                                              const std::string& source);
caf::error save_decision(storage::meta_store& meta, const std::string& task,
                         const std::string& source, const operator_decision& decision);
caf::error clear_decision(storage::meta_store& meta, const std::string& task,
                          const std::string& source);
// Every decision of `task`, on any source (the task is removed: a later task of the name must
// not act on a decision made ahead for this one).
caf::error clear_decisions(storage::meta_store& meta, const std::string& task);

}  // namespace dm
