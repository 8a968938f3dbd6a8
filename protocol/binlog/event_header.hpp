// The common v4 event header, the format description event that governs a binlog file, and the
// split of raw event bytes into header and body with checksum verification.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "protocol/binlog/event_type.hpp"

namespace dm::binlog {

constexpr size_t header_size = 19;
constexpr size_t checksum_size = 4;
// Bytes 0xfe 'b' 'i' 'n' at the start of every binlog file.
constexpr std::string_view binlog_magic{"\xfe\x62\x69\x6e", 4};

// Event flag: the event was made up by the server for this stream (fake rotate), not in the file.
constexpr uint16_t flag_artificial = 0x20;

struct event_header {
  uint32_t timestamp = 0;
  event_type type = event_type::unknown;
  uint32_t server_id = 0;
  // Total event length including header and checksum.
  uint32_t event_size = 0;
  // Offset of the next event in the binlog file (0 for artificial events).
  uint32_t log_pos = 0;
  uint16_t flags = 0;
};

// Parses the 19-byte header. Fails when fewer bytes are given or event_size is smaller than a
// header or larger than the bytes given.
caf::expected<event_header> parse_header(std::string_view event);

enum class checksum_alg : uint8_t { off = 0, crc32 = 1, undefined = 255 };

struct format_description {
  uint16_t binlog_version = 4;
  std::string server_version;
  uint32_t create_timestamp = 0;
  uint8_t header_length = header_size;
  // Post-header length per event type code (index = type code); 0 where not given.
  std::array<uint8_t, 256> post_header_lengths{};
  checksum_alg checksum = checksum_alg::off;

  bool is_mariadb() const { return server_version.find("MariaDB") != std::string::npos; }
  uint8_t post_header_length(event_type t) const {
    return post_header_lengths[static_cast<uint8_t>(t)];
  }
};

// Decodes a FORMAT_DESCRIPTION_EVENT (raw bytes including its header and checksum, if any).
caf::expected<format_description> parse_format_description(std::string_view event);

// The format a binlog stream starts with before its first format description event arrives: v4,
// with the checksum setting the replica negotiated, and the post-header lengths of the events
// that can precede it (rotate, heartbeat).
format_description default_format_description(checksum_alg checksum);

// An event split into its parts. Views point into the raw bytes given to split_event().
struct event_view {
  event_header header;
  // Post-header and payload, without the common header and without the checksum.
  std::string_view body;
  // The whole event as stored.
  std::string_view raw;
};

// Splits `raw` using `fde` (for format description events, the event's own checksum setting).
// When `verify` is set and the format uses CRC32, a mismatch fails with ec::checksum_mismatch.
caf::expected<event_view> split_event(std::string_view raw, const format_description& fde,
                                      bool verify);

// CRC32 (the gzip/zlib polynomial) of `bytes`, as binlog checksums use; `running` continues
// the CRC of the bytes before them (0 starts a new one).
uint32_t crc32_of(std::string_view bytes, uint32_t running = 0);

}  // namespace dm::binlog
