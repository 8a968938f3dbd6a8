#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include "common/error.hpp"
#include "protocol/password_cipher.hpp"
#include "test/unit/test_util.hpp"

using namespace dm;

namespace {

const std::string key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string key_file(const std::string& name, const std::string& text) {
  auto path = std::string{std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp"} +
              "/dm-unit-" + name + "-" + std::to_string(::getpid());
  std::ofstream{path} << text;
  return path;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(password_cipher_test)

// A password as DM's `dmctl encrypt` writes it (IV, '@', AES-256-CFB, base64). The vector was
// made with the openssl CLI, independently of this code:
//   printf 'dm-Passw0rd' | openssl enc -aes-256-cfb -K <key_hex> -iv 0f0e0d...00, then
//   base64 of IV + '@' + that.
BOOST_AUTO_TEST_CASE(dm_encrypted_passwords_decrypt_under_the_same_key) {
  auto key = read_secret_key(key_file("dmkey", key_hex));
  DM_REQUIRE_OK(key);
  const std::string dm_sealed = "Dw4NDAsKCQgHBgUEAwIBAEAW3M5oLQA8XEPYoA==";
  BOOST_CHECK_EQUAL(plain_password(dm_sealed, *key), "dm-Passw0rd");
  // Under another key the bytes do not read as a password: taken as plain.
  std::string other = *key;
  other[3] ^= 0x55;
  BOOST_CHECK_EQUAL(plain_password(dm_sealed, other), dm_sealed);
  BOOST_CHECK_EQUAL(plain_password(dm_sealed, ""), dm_sealed);
  // ... and the worker refuses it before it can earn an "Access denied".
  BOOST_CHECK(!check_encrypted_form(dm_sealed, *key, "source s: from.password"));
  auto wrong_key = describe(check_encrypted_form(dm_sealed, other, "source s: from.password"));
  BOOST_CHECK_MESSAGE(wrong_key.find("source s: from.password looks encrypted by DM's dmctl "
                                     "encrypt but does not decrypt under the worker's secret "
                                     "key") == 0,
                      wrong_key);
  auto no_key = describe(check_encrypted_form(dm_sealed, "", "source s: from.password"));
  BOOST_CHECK_MESSAGE(no_key.find("(the worker has no secret-key-path)") != std::string::npos,
                      no_key);
  // Plain passwords, base64-looking or not, pass.
  for (const char* plain : {"secret", "c2VjcmV0", "dm-Passw0rd@x", ""})
    BOOST_CHECK(!check_encrypted_form(plain, other, "p"));
}

BOOST_AUTO_TEST_CASE(encrypted_passwords_decrypt_under_the_same_key_only) {
  auto key = read_secret_key(key_file("key", key_hex + "\n"));
  DM_REQUIRE_OK(key);
  BOOST_CHECK_EQUAL(key->size(), 32u);
  for (std::string plain : {std::string{}, std::string{"s3cr3t"}, std::string{"pa'ss\"wörd 😀"},
                            std::string(300, 'x')}) {
    auto sealed = encrypt_password(plain, *key);
    if (!plain.empty()) BOOST_CHECK(sealed.find(plain) == std::string::npos);
    BOOST_CHECK_EQUAL(plain_password(sealed, *key), plain);
    // A fresh nonce each time: the same password encrypts differently.
    BOOST_CHECK_NE(encrypt_password(plain, *key), sealed);
    // Another key does not open it; the text is then taken as a plain password.
    std::string other = *key;
    other[0] ^= 1;
    BOOST_CHECK_EQUAL(plain_password(sealed, other), sealed);
    // Without a key every password is plain.
    BOOST_CHECK_EQUAL(plain_password(sealed, ""), sealed);
  }
  // A changed byte fails the tag: taken as plain, never as a wrong decryption.
  auto sealed = encrypt_password("secret", *key);
  auto tampered = sealed;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  BOOST_CHECK_EQUAL(plain_password(tampered, *key), tampered);
  // Plain passwords, base64-looking or not, pass through.
  for (std::string plain : {"root", "abcd", "not base64!", "QUJDRA==", ""})
    BOOST_CHECK_EQUAL(plain_password(plain, *key), plain);
}

BOOST_AUTO_TEST_CASE(bad_key_files_are_one_line_errors_naming_the_file) {
  auto missing = read_secret_key("/nonexistent/dm-key");
  BOOST_REQUIRE(!missing);
  BOOST_CHECK(describe(missing.error()).find("/nonexistent/dm-key cannot be read") !=
              std::string::npos);
  for (std::string text : {std::string{"abc"}, key_hex + "00", key_hex.substr(0, 62) + "zz"}) {
    auto path = key_file("bad", text);
    auto bad = read_secret_key(path);
    BOOST_REQUIRE(!bad);
    BOOST_CHECK(describe(bad.error()).find(path + " must hold 64 hexadecimal characters") !=
                std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
