// Passwords in source and task configs may be given encrypted (`dmctl encrypt`), so that the
// files hold no plain password. The cipher is AES-256-GCM under the worker's secret key:
// the encrypted form is base64 of a 12-byte random nonce, the ciphertext and the 16-byte tag.
// The key file (worker.toml `secret-key-path`, `dmctl encrypt --secret-key-path`) holds the
// 32-byte key as 64 hexadecimal characters, e.g. written by `openssl rand -hex 32`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dm {

// The 32 key bytes of the key file at `path`; a one-line error naming the file otherwise.
caf::expected<std::string> read_secret_key(const std::string& path);

// The encrypted form of `plain` under `key` (32 bytes); a fresh nonce each call.
std::string encrypt_password(std::string_view plain, const std::string& key);

// The password `text` stands for: decrypted when it is an encrypted form made under `key`
// (authenticated by its tag), otherwise `text` itself, as a plain password. An empty key
// (no secret-key-path) leaves every password as it is.
std::string plain_password(const std::string& text, const std::string& key);

// Fails when `text` has the shape of DM's encrypted form (base64 of a 16-byte IV, '@' and the
// ciphertext) but does not decrypt under `key`, or there is no key: used as a plain password it
// would only earn a misleading "Access denied". `what` names the field in the one-line error.
caf::error check_encrypted_form(const std::string& text, const std::string& key,
                                const std::string& what);

}  // namespace dm
