#include "common/error.hpp"

#include <algorithm>

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace dm {

std::string to_string(ec x) {
  switch (x) {
    case ec::none: return "none";
    case ec::invalid_config: return "invalid_config";
    case ec::invalid_argument: return "invalid_argument";
    case ec::not_found: return "not_found";
    case ec::already_exists: return "already_exists";
    case ec::invalid_state: return "invalid_state";
    case ec::upstream_unreachable: return "upstream_unreachable";
    case ec::upstream_access_denied: return "upstream_access_denied";
    case ec::upstream_misconfigured: return "upstream_misconfigured";
    case ec::binlog_purged: return "binlog_purged";
    case ec::downstream_unavailable: return "downstream_unavailable";
    case ec::downstream_access_denied: return "downstream_access_denied";
    case ec::downstream_rejected: return "downstream_rejected";
    case ec::decode_failed: return "decode_failed";
    case ec::checksum_mismatch: return "checksum_mismatch";
    case ec::storage_failed: return "storage_failed";
    case ec::disk_full: return "disk_full";
    case ec::unsupported: return "unsupported";
    case ec::unauthorized: return "unauthorized";
    case ec::unavailable: return "unavailable";
    case ec::io_failed: return "io_failed";
    case ec::replay_requested: return "replay_requested";
  }
  return "unknown";
}

bool is_resumable(ec x) {
  switch (x) {
    case ec::upstream_unreachable:
    case ec::downstream_unavailable:
    case ec::unavailable:
    case ec::replay_requested:
    case ec::disk_full:
      return true;
    default:
      return false;
  }
}

bool is_resumable(const caf::error& err) {
  if (!err) return false;
  if (err.category() == error_category) return is_resumable(static_cast<ec>(err.code()));
  // CAF's own errors here mean a peer actor died or a request timed out.
  return err.category() == caf::atom("system");
}

caf::error make_error(ec code, std::string text) {
  return caf::error{static_cast<uint8_t>(code), error_category, caf::make_message(std::move(text))};
}

std::string describe(const caf::error& err) {
  if (!err) return "no error";
  const auto& ctx = err.context();
  if (err.category() == error_category && ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  std::string out = caf::to_string(err.category());
  out += " error ";
  out += std::to_string(err.code());
  if (err.category() == caf::atom("system"))
    out = caf::to_string(static_cast<caf::sec>(err.code()));
  if (!ctx.empty()) {
    out += ": ";
    out += caf::to_string(ctx);
  }
  return out;
}

std::string excerpt(std::string_view text, size_t max) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  size_t i = 0;
  auto n = std::min(text.size(), max);
  while (i < n) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (valid && (len > 1 || (c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t')) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

ec code_of(const caf::error& err) {
  if (err && err.category() == error_category) return static_cast<ec>(err.code());
  return ec::none;
}

}  // namespace dm
