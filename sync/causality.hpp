// Causality between row changes: two changes that touch the same primary or unique key value
// must be applied in binlog order, so they go to the same applier. Pure logic, no CAF.
//
// Keys are held while a change using them is in flight and released when its batch commits; a
// change whose keys are held by two different appliers conflicts and must wait until one of
// them drains.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/binlog/cell.hpp"
#include "protocol/table_schema.hpp"

namespace dm {

class causality {
 public:
  explicit causality(uint32_t appliers) : appliers_(appliers) {}

  // The applier that must take a change with `keys`: the one holding any of them, else one
  // chosen by hashing the first key. nullopt when two appliers hold some of them (conflict).
  // Does not hold the keys; call hold() with the result.
  std::optional<uint32_t> route(const std::vector<std::string>& keys) const;

  // Marks `keys` as held by `applier` (once per in-flight change).
  void hold(const std::vector<std::string>& keys, uint32_t applier);

  // Releases one hold of each of `keys`.
  void release(const std::vector<std::string>& keys);

  // Number of distinct keys held.
  size_t held() const { return owners_.size(); }

 private:
  struct owner {
    uint32_t applier;
    uint32_t holds;
  };
  uint32_t appliers_;
  std::unordered_map<std::string, owner> owners_;
};

// The one causality key of every change to a serial group (apply_marks.hpp): distinct from any
// row key, so the whole group goes to one applier.
std::string serial_group_key(const std::string& group);

// The causality keys of a row image: one per primary/unique key of the table whose columns are
// all present and not NULL, or one key for the whole table when the row has no such key (those
// changes are then applied in order by one applier). String values are folded so that values a
// case-insensitive collation considers equal give equal keys (ASCII case, trailing spaces; any
// non-ASCII string maps to one key per column, which serializes those changes).
void append_causality_keys(const table_schema& schema, const std::string& target,
                           const std::vector<binlog::cell>& image,
                           std::vector<std::string>& keys);

// The value of `image`'s identity key, folded as causality keys are (equal for rows the
// downstream considers the same key, and also for some it does not), or with `exact` its bytes
// as they are (different for different bytes, also where the downstream's collation sees the
// same key); empty when the table has no identity key or the image lacks one of its columns.
std::string identity_key_value(const table_schema& schema, const std::vector<binlog::cell>& image,
                               bool exact = false);

}  // namespace dm
