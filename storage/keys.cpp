#include "storage/keys.hpp"

namespace dm::storage {

namespace {

std::string owner_prefix(std::string_view owner) {
  std::string out{owner};
  out += '\0';
  return out;
}

// The smallest key greater than every key that starts with `prefix` (prefix ends in NUL, so
// bumping that last byte to 0x01 does it).
std::string prefix_end(std::string prefix) {
  prefix.back() = '\x01';
  return prefix;
}

}  // namespace

void append_be32(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

uint32_t read_be32(std::string_view b) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[3]));
}

std::string relay_event_key(std::string_view source, const relay_key& k) {
  auto out = owner_prefix(source);
  append_be32(out, k.segment);
  append_be32(out, k.file_index);
  append_be32(out, k.offset);
  return out;
}

std::string relay_source_begin(std::string_view source) { return owner_prefix(source); }

std::string relay_source_end(std::string_view source) { return prefix_end(owner_prefix(source)); }

std::optional<relay_key> parse_relay_event_key(std::string_view source, std::string_view key) {
  if (key.size() != source.size() + 1 + 12 || key.substr(0, source.size()) != source ||
      key[source.size()] != '\0')
    return std::nullopt;
  auto body = key.substr(source.size() + 1);
  return relay_key{read_be32(body), read_be32(body.substr(4)), read_be32(body.substr(8))};
}

namespace {

// source NUL kind segment file_index: the relay-file records of kind 'f' and 't'.
std::string relay_file_record_key(std::string_view source, char kind, uint32_t segment,
                                  uint32_t file_index) {
  auto out = owner_prefix(source);
  out += kind;
  append_be32(out, segment);
  append_be32(out, file_index);
  return out;
}

}  // namespace

std::string relay_file_key(std::string_view source, uint32_t segment, uint32_t file_index) {
  return relay_file_record_key(source, 'f', segment, file_index);
}

std::string relay_file_time_key(std::string_view source, uint32_t segment, uint32_t file_index) {
  return relay_file_record_key(source, 't', segment, file_index);
}

std::optional<std::pair<uint32_t, uint32_t>> parse_relay_file_key(std::string_view source,
                                                                  std::string_view key) {
  if (key.size() != source.size() + 1 + 1 + 8 || key.substr(0, source.size()) != source ||
      key[source.size()] != '\0')
    return std::nullopt;
  auto body = key.substr(source.size() + 2);
  return std::make_pair(read_be32(body), read_be32(body.substr(4)));
}

std::string relay_segment_key(std::string_view source, uint32_t segment) {
  auto out = owner_prefix(source);
  out += 's';
  append_be32(out, segment);
  return out;
}

std::string checkpoint_key(std::string_view task, std::string_view source,
                           std::string_view unit) {
  auto out = owner_prefix(task);
  out += source;
  out += '\0';
  out += unit;
  return out;
}

std::string checkpoint_task_begin(std::string_view task) { return owner_prefix(task); }

std::string checkpoint_task_end(std::string_view task) { return prefix_end(owner_prefix(task)); }

std::string checkpoint_part_begin(std::string_view task, std::string_view source) {
  return checkpoint_key(task, source, "");
}

std::string checkpoint_part_end(std::string_view task, std::string_view source) {
  return prefix_end(checkpoint_key(task, source, ""));
}

std::string meta_key(std::string_view kind, std::string_view id) {
  auto out = owner_prefix(kind);
  out += id;
  return out;
}

std::string meta_kind_begin(std::string_view kind) { return owner_prefix(kind); }

std::string meta_kind_end(std::string_view kind) { return prefix_end(owner_prefix(kind)); }

}  // namespace dm::storage
