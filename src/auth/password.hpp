#pragma once
// Password hashing with argon2id (libsodium's crypto_pwhash).

#include <string>
#include <string_view>

namespace auth {

// An encoded argon2id hash ("$argon2id$v=19$m=...") with a random salt. Slow on purpose: call it
// off the network threads. Throws std::runtime_error when out of memory.
std::string hash_password(std::string_view password);

// Whether `password` matches `encoded_hash`; false for any malformed hash.
bool verify_password(std::string_view password, const std::string& encoded_hash);

}  // namespace auth
