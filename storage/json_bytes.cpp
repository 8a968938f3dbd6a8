#include "storage/json_bytes.hpp"

#include "common/utf8.hpp"

namespace dm::storage {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

nlohmann::json bytes_to_json(std::string_view bytes) {
  if (!first_invalid_utf8(bytes)) return std::string{bytes};
  static const char* digits = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex += digits[c >> 4];
    hex += digits[c & 0xF];
  }
  return {{"hex", hex}};
}

std::string bytes_from_json(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  auto hex = j.at("hex").get<std::string>();
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    auto hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0)
      throw nlohmann::json::other_error::create(501, "bad hex digit", &j);
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace dm::storage
