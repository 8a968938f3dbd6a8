// Byte strings in JSON records. JSON text must be UTF-8, but what the records hold may not be:
// SHOW CREATE TABLE read as binary carries a latin1 default's bytes, a key bound a latin1 key's.
// Such a string is stored as {"hex": "..."}; valid UTF-8 stays a plain JSON string. Pure.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dm::storage {

nlohmann::json bytes_to_json(std::string_view bytes);

// The bytes of a value bytes_to_json made (or of a plain string). Throws
// nlohmann::json::exception on anything else, as json::get does.
std::string bytes_from_json(const nlohmann::json& j);

}  // namespace dm::storage
