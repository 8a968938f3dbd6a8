#include "protocol/password_cipher.hpp"

#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/error.hpp"
#include "protocol/base64.hpp"
#include "common/utf8.hpp"

namespace dm {

namespace {

constexpr size_t key_bytes = 32;
constexpr size_t nonce_bytes = 12;
constexpr size_t tag_bytes = 16;

using cipher_context = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::optional<std::string> decrypt(std::string_view sealed, const std::string& key) {
  if (sealed.size() < nonce_bytes + tag_bytes) return std::nullopt;
  auto nonce = sealed.substr(0, nonce_bytes);
  auto body = sealed.substr(nonce_bytes, sealed.size() - nonce_bytes - tag_bytes);
  std::string tag{sealed.substr(sealed.size() - tag_bytes)};
  cipher_context ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  std::string plain(body.size(), '\0');
  int n = 0, final_n = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key),
                                 bytes_of(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n,
                        bytes_of(body), static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_bytes),
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n,
                          &final_n) != 1)
    return std::nullopt;
  plain.resize(static_cast<size_t>(n + final_n));
  return plain;
}

// DM's `dmctl encrypt` form (DM v7 and later, under the same secret-key-path key): base64 of a
// 16-byte IV, the byte '@', and the password under AES-256 in CFB mode. CFB carries no tag, so a
// wrong key yields other bytes; only a result that reads as a password (printable UTF-8, no
// control characters) is taken.
constexpr size_t dm_iv_bytes = 16;

bool has_dm_form(std::string_view sealed) {
  return sealed.size() > dm_iv_bytes + 1 && sealed[dm_iv_bytes] == '@';
}

std::optional<std::string> decrypt_dm(std::string_view sealed, const std::string& key) {
  constexpr size_t iv_bytes = dm_iv_bytes;
  if (!has_dm_form(sealed)) return std::nullopt;
  auto body = sealed.substr(iv_bytes + 1);
  cipher_context ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  std::string plain(body.size(), '\0');
  int n = 0, final_n = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cfb128(), nullptr, bytes_of(key),
                                 bytes_of(sealed.substr(0, iv_bytes))) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n,
                        bytes_of(body), static_cast<int>(body.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n,
                          &final_n) != 1)
    return std::nullopt;
  plain.resize(static_cast<size_t>(n + final_n));
  for (unsigned char c : plain)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  if (first_invalid_utf8(plain)) return std::nullopt;
  return plain;
}

}  // namespace

caf::expected<std::string> read_secret_key(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(ec::invalid_config, "secret key file " + path + " cannot be read; check "
                                          "secret-key-path and the file's permissions");
  std::stringstream text;
  text << in.rdbuf();
  std::string hex;
  for (char c : text.str())
    if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
  auto bad = make_error(ec::invalid_config,
                        "secret key file " + path + " must hold 64 hexadecimal characters (32 "
                        "bytes), e.g. written by `openssl rand -hex 32`");
  if (hex.size() != 2 * key_bytes) return bad;
  std::string key;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(hex[i])) ||
        !std::isxdigit(static_cast<unsigned char>(hex[i + 1])))
      return bad;
    key += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return key;
}

std::string encrypt_password(std::string_view plain, const std::string& key) {
  std::string sealed(nonce_bytes + plain.size() + tag_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  cipher_context ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  int n = 0, final_n = 0;
  if (key.size() != key_bytes || !ctx || RAND_bytes(out, static_cast<int>(nonce_bytes)) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key), out) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out + nonce_bytes, &n, bytes_of(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + nonce_bytes + n, &final_n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_bytes),
                          out + nonce_bytes + plain.size()) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed (OpenSSL)");
  return base64(sealed);
}

std::string plain_password(const std::string& text, const std::string& key) {
  if (key.size() != key_bytes) return text;
  auto sealed = unbase64(text);
  if (!sealed) return text;
  if (auto plain = decrypt(*sealed, key)) return *plain;
  if (auto plain = decrypt_dm(*sealed, key)) return *plain;
  return text;
}

caf::error check_encrypted_form(const std::string& text, const std::string& key,
                                const std::string& what) {
  auto sealed = unbase64(text);
  if (!sealed || !has_dm_form(*sealed)) return caf::none;
  if (key.size() == key_bytes && decrypt_dm(*sealed, key)) return caf::none;
  return make_error(ec::invalid_config,
                    what + " looks encrypted by DM's dmctl encrypt but does not decrypt " +
                        (key.size() == key_bytes ? std::string{"under the worker's secret key"}
                                                 : std::string{"(the worker has no "
                                                               "secret-key-path)"}) +
                        "; set secret-key-path to the key DM used, or give the plain password");
}

}  // namespace dm
