#include "storage/meta_store.hpp"

#include "storage/database.hpp"
#include "storage/keys.hpp"

namespace dm::storage {

caf::error meta_store::put(std::string_view kind, std::string_view id, std::string_view value) {
  return db_->put(family::meta, meta_key(kind, id), value, true);
}

caf::expected<std::optional<std::string>> meta_store::get(std::string_view kind,
                                                          std::string_view id) const {
  return db_->get(family::meta, meta_key(kind, id));
}

caf::error meta_store::erase(std::string_view kind, std::string_view id) {
  return db_->erase(family::meta, meta_key(kind, id), true);
}

caf::expected<std::vector<std::pair<std::string, std::string>>> meta_store::list(
    std::string_view kind) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto prefix_len = meta_kind_begin(kind).size();
  auto err = db_->scan(family::meta, meta_kind_begin(kind), meta_kind_end(kind),
                       [&](std::string_view key, std::string_view value) {
                         out.emplace_back(std::string{key.substr(prefix_len)},
                                          std::string{value});
                         return true;
                       });
  if (err) return err;
  return out;
}

caf::error meta_store::erase_prefix(std::string_view kind, std::string_view prefix) {
  auto all = list(kind);
  if (!all) return all.error();
  for (auto& [id, value] : *all)
    if (std::string_view{id}.substr(0, prefix.size()) == prefix)
      if (auto err = erase(kind, id)) return err;
  return caf::none;
}

}  // namespace dm::storage
