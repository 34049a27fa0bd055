#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

#include "base/random.hpp"

namespace auth {

namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";

// libsodium wants a non-null pointer even for an empty password.
const char* bytes_of(std::string_view text) {
  return text.data() ? text.data() : "";
}

}  // namespace

std::string hash_password(std::string_view password) {
  base::ensure_sodium();
  char encoded[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(encoded, bytes_of(password), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing failed (out of memory)");
  }
  return std::string(encoded);
}

bool verify_password(std::string_view password, const std::string& encoded_hash) {
  base::ensure_sodium();
  // Only argon2id hashes are ours; libsodium would also accept argon2i ones. The encoded string
  // must fit libsodium's buffer and contain no NUL (libsodium reads it as a C string).
  if (!encoded_hash.starts_with(kArgon2idPrefix) || encoded_hash.size() >= crypto_pwhash_STRBYTES ||
      encoded_hash.find('\0') != std::string::npos) {
    return false;
  }
  return crypto_pwhash_str_verify(encoded_hash.c_str(), bytes_of(password), password.size()) == 0;
}

}  // namespace auth
