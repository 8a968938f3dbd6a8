// Named records of the worker's own metadata (source configs, task configs, stages), grouped by
// kind. Values are opaque bytes; their format belongs to the caller.
//
// Thread-safety: safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

namespace dm::storage {

class database;

class meta_store {
 public:
  explicit meta_store(std::shared_ptr<database> db) : db_(std::move(db)) {}

  // Writes durably (synced), since these records are rare and must survive power loss.
  caf::error put(std::string_view kind, std::string_view id, std::string_view value);
  caf::expected<std::optional<std::string>> get(std::string_view kind, std::string_view id) const;
  caf::error erase(std::string_view kind, std::string_view id);
  // Every (id, value) of `kind`, ordered by id.
  caf::expected<std::vector<std::pair<std::string, std::string>>> list(std::string_view kind) const;
  // Erases every record of `kind` whose id begins with `prefix` (one owner's records).
  caf::error erase_prefix(std::string_view kind, std::string_view prefix);

 private:
  std::shared_ptr<database> db_;
};

}  // namespace dm::storage
