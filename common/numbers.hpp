// Numbers in text from servers and records, read without exceptions (none may escape an actor).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dm {

// The decimal number `text` spells (digits only, fits in 64 bits), else nullopt.
inline std::optional<uint64_t> to_unsigned(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace dm
