#pragma once
// Randomness that may guard something (session ids, secrets, passwords), from libsodium's
// CSPRNG, and the one place that initialises libsodium.

#include <cstddef>
#include <string>

namespace base {

// Initialises libsodium once, thread-safe; throws std::runtime_error when it cannot. Every
// caller of a libsodium function calls this first.
void ensure_sodium();

// `bytes` random bytes as URL-safe unpadded base64: 15 bytes make 20 characters (120 bits).
std::string random_token(std::size_t bytes);

// `bytes` random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

}  // namespace base
