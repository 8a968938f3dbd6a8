#include "protocol/binlog/event_header.hpp"

#include <cstdio>
#include <cstring>

#include <isa-l/crc.h>

#include "protocol/binlog/byte_reader.hpp"
#include "common/error.hpp"

namespace dm::binlog {

namespace {

constexpr size_t server_version_length = 50;
// binlog_version + server_version + create_timestamp + header_length
constexpr size_t fde_fixed_length = 2 + server_version_length + 4 + 1;
constexpr uint16_t flag_binlog_in_use = 0x0001;
constexpr size_t flags_offset = 17;

caf::error decode_error(const std::string& what) {
  return make_error(ec::decode_failed, "binlog event cannot be decoded: " + what);
}

// True when a server of this version writes the checksum algorithm byte into its format
// description event: MariaDB from 5.3.0, MySQL from 5.6.1.
bool writes_checksum_alg(const std::string& version) {
  unsigned major = 0, minor = 0, patch = 0;
  if (std::sscanf(version.c_str(), "%u.%u.%u", &major, &minor, &patch) < 2) return false;
  auto v = major * 10000 + minor * 100 + patch;
  bool mariadb = version.find("MariaDB") != std::string::npos;
  return v >= (mariadb ? 50300u : 50601u);
}

}  // namespace

caf::expected<event_header> parse_header(std::string_view event) {
  byte_reader r{event};
  event_header h;
  h.timestamp = r.u32();
  h.type = static_cast<event_type>(r.u8());
  h.server_id = r.u32();
  h.event_size = r.u32();
  h.log_pos = r.u32();
  h.flags = r.u16();
  if (r.failed()) return decode_error("header needs 19 bytes, got " + std::to_string(event.size()));
  if (h.event_size < header_size || h.event_size > event.size())
    return decode_error("event size " + std::to_string(h.event_size) + " does not fit the " +
                        std::to_string(event.size()) + " bytes received");
  return h;
}

uint32_t crc32_of(std::string_view bytes, uint32_t running) {
  // ISA-L's reflected gzip CRC is the binlog's CRC32 (the one zlib computes), vectorized.
  return crc32_gzip_refl(running, reinterpret_cast<const unsigned char*>(bytes.data()),
                         bytes.size());
}

caf::expected<format_description> parse_format_description(std::string_view event) {
  auto hdr = parse_header(event);
  if (!hdr) return hdr.error();
  if (hdr->type != event_type::format_description)
    return decode_error("expected a format description event");
  format_description fde;
  byte_reader r{event.substr(header_size, hdr->event_size - header_size)};
  fde.binlog_version = r.u16();
  auto version = r.bytes(server_version_length);
  fde.server_version = std::string{version.substr(0, version.find('\0'))};
  fde.create_timestamp = r.u32();
  fde.header_length = r.u8();
  if (r.failed() || fde.binlog_version != 4 || fde.header_length < header_size)
    return decode_error("format description event is not binlog v4");
  size_t rest = hdr->event_size - header_size - fde_fixed_length;
  size_t post_header_count = rest;
  if (writes_checksum_alg(fde.server_version)) {
    if (rest < 1 + checksum_size) return decode_error("format description event is truncated");
    auto alg = static_cast<uint8_t>(event[hdr->event_size - checksum_size - 1]);
    fde.checksum = alg == 0 ? checksum_alg::off
                            : alg == 1 ? checksum_alg::crc32 : checksum_alg::undefined;
    // The algorithm byte and the checksum trail the post-header lengths even when checksums are
    // off (then the last four bytes are zero).
    post_header_count = rest - 1 - checksum_size;
  }
  auto lengths = r.bytes(post_header_count);
  if (r.failed()) return decode_error("format description event is truncated");
  for (size_t i = 0; i < lengths.size() && i + 1 < fde.post_header_lengths.size(); ++i)
    fde.post_header_lengths[i + 1] = static_cast<uint8_t>(lengths[i]);
  if (fde.checksum == checksum_alg::undefined)
    return decode_error("format description event names an unknown checksum algorithm");
  return fde;
}

format_description default_format_description(checksum_alg checksum) {
  format_description fde;
  fde.checksum = checksum;
  fde.post_header_lengths[static_cast<uint8_t>(event_type::rotate)] = 8;
  fde.post_header_lengths[static_cast<uint8_t>(event_type::heartbeat)] = 0;
  return fde;
}

caf::expected<event_view> split_event(std::string_view raw, const format_description& fde,
                                      bool verify) {
  auto hdr = parse_header(raw);
  if (!hdr) return hdr.error();
  event_view view;
  view.header = *hdr;
  view.raw = raw.substr(0, hdr->event_size);
  auto alg = fde.checksum;
  if (hdr->type == event_type::format_description) {
    auto own = parse_format_description(view.raw);
    if (!own) return own.error();
    alg = own->checksum;
  }
  size_t tail = alg == checksum_alg::crc32 ? checksum_size : 0;
  size_t header_len = std::max<size_t>(fde.header_length, header_size);
  if (hdr->type == event_type::format_description) header_len = header_size;
  if (hdr->event_size < header_len + tail)
    return decode_error(std::string{event_type_name(hdr->type)} + " event of " +
                        std::to_string(hdr->event_size) + " bytes is shorter than its header");
  if (verify && tail) {
    auto covered = view.raw.substr(0, hdr->event_size - checksum_size);
    uint32_t stored = 0;
    std::memcpy(&stored, view.raw.data() + covered.size(), checksum_size);
    uint32_t computed;
    if (hdr->type == event_type::format_description && (hdr->flags & flag_binlog_in_use)) {
      // The server clears the in-use flag of a closed binlog without updating the checksum;
      // the checksum covers the event with the flag cleared.
      std::string copy{covered};
      copy[flags_offset] = static_cast<char>(copy[flags_offset] & ~flag_binlog_in_use);
      computed = crc32_of(copy);
    } else {
      computed = crc32_of(covered);
    }
    // Checksums are stored little-endian.
    uint8_t b[4];
    std::memcpy(b, &stored, 4);
    stored = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    if (stored != computed)
      return make_error(ec::checksum_mismatch,
                        std::string{event_type_name(hdr->type)} + " event ending at " +
                            std::to_string(hdr->log_pos) + " fails its CRC32 check");
  }
  view.body = view.raw.substr(header_len, hdr->event_size - header_len - tail);
  return view;
}

}  // namespace dm::binlog
