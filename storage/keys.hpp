// Key encodings of the RocksDB families. Pure functions, no RocksDB.
//
// Every key starts with its owner's name and a NUL, so that one owner's keys form a contiguous
// range; numbers are big-endian so that byte order is numeric order. Owner names (source ids,
// task names) never contain NUL: configs reject them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/position.hpp"

namespace dm::storage {

void append_be32(std::string& out, uint32_t v);
uint32_t read_be32(std::string_view bytes);

// family relay: source NUL segment file_index offset
std::string relay_event_key(std::string_view source, const relay_key& k);
// The first key of `source` in the relay family, and the key just past its last.
std::string relay_source_begin(std::string_view source);
std::string relay_source_end(std::string_view source);
// Decodes the position part of a relay event key of `source`.
std::optional<relay_key> parse_relay_event_key(std::string_view source, std::string_view key);

// family relay_index: source NUL 'f' segment file_index -> upstream binlog file name
std::string relay_file_key(std::string_view source, uint32_t segment, uint32_t file_index);
// family relay_index: source NUL 't' segment file_index -> upstream time of the file's newest
// stored event (big-endian seconds), for purging by age
std::string relay_file_time_key(std::string_view source, uint32_t segment, uint32_t file_index);
// family relay_index: source NUL 's' segment -> upstream identity of the segment
std::string relay_segment_key(std::string_view source, uint32_t segment);

// The key of any relay-file record of `source` (kind 'f' or 't'): (segment, file index).
std::optional<std::pair<uint32_t, uint32_t>> parse_relay_file_key(std::string_view source,
                                                                  std::string_view key);

// family checkpoint: task NUL source NUL unit
std::string checkpoint_key(std::string_view task, std::string_view source, std::string_view unit);
// The range of all checkpoint keys of `task`.
std::string checkpoint_task_begin(std::string_view task);
std::string checkpoint_task_end(std::string_view task);
// The range of the checkpoint keys of `task` on `source` (one part of the task).
std::string checkpoint_part_begin(std::string_view task, std::string_view source);
std::string checkpoint_part_end(std::string_view task, std::string_view source);

// family meta: kind NUL id
std::string meta_key(std::string_view kind, std::string_view id);
std::string meta_kind_begin(std::string_view kind);
std::string meta_kind_end(std::string_view kind);

}  // namespace dm::storage
