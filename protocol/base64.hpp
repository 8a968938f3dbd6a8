// Base64 (RFC 4648, with padding) as the MySQL JSON printer, DM's encrypted passwords and etcd's
// JSON gateway use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dm {

std::string base64(std::string_view raw);
// nullopt when `text` is not padded base64 (an empty text decodes to nothing).
std::optional<std::string> unbase64(std::string_view text);

}  // namespace dm
