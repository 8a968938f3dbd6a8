// Operator decisions about the event a task stopped on (dmctl handle-error): skip it, or run
// given SQL instead. Kept in the meta store until the syncer has acted on it, so a restart in
// between does not lose it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "storage/keys.hpp"
#include "storage/meta_store.hpp"

namespace dm {

struct error_decision {
  // The relay event the decision is about.
  storage::relay_key key;
  // "skip" or "replace"
  std::string action;
  // For "replace": the statements to run instead (';'-separated).
  std::string sql;
};

caf::expected<std::optional<error_decision>> load_decision(storage::meta_store& meta,
                                                           const std::string& task,
                                                           const std::string& source);
caf::error save_decision(storage::meta_store& meta, const std::string& task,
                         const std::string& source, const error_decision& decision);
caf::error clear_decision(storage::meta_store& meta, const std::string& task,
                          const std::string& source);

// The statements of `sql` split at ';' outside strings, quoted identifiers and comments; empty
// statements dropped.
std::vector<std::string> split_statements(const std::string& sql);

}  // namespace dm
