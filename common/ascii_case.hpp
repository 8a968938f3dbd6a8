// ASCII case folding of names and keywords (MySQL compares identifiers and keywords this way; bytes
// beyond ASCII are left as they are).
#pragma once

#include <string>
#include <string_view>

namespace dm {

inline std::string ascii_upper(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

inline std::string ascii_lower(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace dm
