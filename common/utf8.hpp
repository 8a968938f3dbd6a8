// UTF-8 validity, for text that parsers or JSON must only ever see as UTF-8. Pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace dm {

// The offset of the first byte that is not part of well-formed UTF-8 (overlong forms, bytes past
// U+10FFFF and truncated sequences included), or nullopt when all of `text` is UTF-8.
inline std::optional<size_t> first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t extra = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                   : c >= 0xF0 && c <= 0xF4            ? 3
                                                       : 4;
    if (extra == 4 || i + extra >= text.size() + (extra == 0)) return i;
    for (size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      bool ok = (next & 0xC0) == 0x80;
      // The second byte's range excludes overlong forms and surrogates.
      if (k == 1 && c == 0xE0) ok = ok && next >= 0xA0;
      if (k == 1 && c == 0xED) ok = ok && next < 0xA0;
      if (k == 1 && c == 0xF0) ok = ok && next >= 0x90;
      if (k == 1 && c == 0xF4) ok = ok && next < 0x90;
      if (!ok) return i;
    }
    i += extra + 1;
  }
  return std::nullopt;
}

}  // namespace dm
