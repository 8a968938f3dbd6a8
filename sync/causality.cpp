#include "sync/causality.hpp"

#include <functional>

namespace dm {

std::optional<uint32_t> causality::route(const std::vector<std::string>& keys) const {
  std::optional<uint32_t> chosen;
  for (auto& k : keys) {
    auto it = owners_.find(k);
    if (it == owners_.end()) continue;
    if (chosen && *chosen != it->second.applier) return std::nullopt;
    chosen = it->second.applier;
  }
  if (chosen) return chosen;
  if (keys.empty()) return 0u;
  return static_cast<uint32_t>(std::hash<std::string>{}(keys.front()) % appliers_);
}

void causality::hold(const std::vector<std::string>& keys, uint32_t applier) {
  for (auto& k : keys) {
    auto [it, fresh] = owners_.try_emplace(k, owner{applier, 0});
    ++it->second.holds;
  }
}

void causality::release(const std::vector<std::string>& keys) {
  for (auto& k : keys) {
    auto it = owners_.find(k);
    if (it == owners_.end()) continue;
    if (--it->second.holds == 0) owners_.erase(it);
  }
}

namespace {

// Appends a representation of `value` under which values equal in the column's collation are
// equal (see the header for the folding of strings); `exact` keeps strings as they are.
void append_key_value(std::string& key, const binlog::cell& value, const column_def& column,
                      bool exact = false) {
  using binlog::cell_kind;
  switch (value.kind) {
    case cell_kind::string: {
      if (exact) {
        key += value.text;
        break;
      }
      if (column.charset == "binary") {
        key += value.text;
        break;
      }
      std::string folded;
      bool ascii = true;
      for (char c : value.text) {
        auto b = static_cast<unsigned char>(c);
        if (b >= 0x80) {
          ascii = false;
          break;
        }
        folded += static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
      }
      if (!ascii) {
        key += "\x01nonascii";
        break;
      }
      while (!folded.empty() && folded.back() == ' ') folded.pop_back();
      key += folded;
      break;
    }
    case cell_kind::float32:
    case cell_kind::float64:
      key += std::to_string(value.d);
      break;
    default:
      // Integers, temporals (packed), decimals (text), enums, sets, bits.
      key += std::to_string(value.u);
      key += value.negative ? '-' : '+';
      key += std::to_string(value.frac);
      key += value.text;
  }
}

}  // namespace

std::string serial_group_key(const std::string& group) { return "\x02group " + group; }

void append_causality_keys(const table_schema& schema, const std::string& target,
                           const std::vector<binlog::cell>& image,
                           std::vector<std::string>& keys) {
  if (image.empty()) return;
  bool any = false;
  auto add_key = [&](const char* kind, size_t ordinal, const std::vector<size_t>& columns) {
    std::string key = target;
    key += '\0';
    key += kind;
    key += std::to_string(ordinal);
    for (auto i : columns) {
      if (i >= image.size()) return;
      const auto& v = image[i];
      if (v.kind == binlog::cell_kind::absent || v.is_null()) return;  // NULLs never collide
      key += '\0';
      append_key_value(key, v, schema.columns[i]);
    }
    keys.push_back(std::move(key));
    any = true;
  };
  if (!schema.primary_key.empty()) add_key("p", 0, schema.primary_key);
  for (size_t u = 0; u < schema.unique_keys.size(); ++u) add_key("u", u, schema.unique_keys[u]);
  // No usable key: the table itself is the key, so its keyless changes stay in order.
  if (!any) keys.push_back(target);
}

std::string identity_key_value(const table_schema& schema, const std::vector<binlog::cell>& image,
                               bool exact) {
  std::string key;
  const auto& columns = schema.identity_key();
  for (auto i : columns) {
    if (i >= image.size() || image[i].kind == binlog::cell_kind::absent || image[i].is_null())
      return {};
    key += '\0';
    append_key_value(key, image[i], schema.columns[i], exact);
  }
  return key;
}

}  // namespace dm
