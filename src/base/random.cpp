#include "base/random.hpp"

#include <sodium.h>

#include <stdexcept>

#include "base/base64.hpp"

namespace base {
namespace {

std::string random_bytes(std::size_t count) {
  ensure_sodium();
  std::string bytes(count, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

}  // namespace

void ensure_sodium() {
  // A function-local static is initialised exactly once, even with concurrent callers.
  static const int result = sodium_init();
  if (result < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string random_token(std::size_t bytes) {
  return encode_base64(random_bytes(bytes), Base64::url);
}

std::string random_hex(std::size_t bytes) {
  const auto raw = random_bytes(bytes);
  std::string hex(raw.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();  // the terminating NUL
  return hex;
}

}  // namespace base
