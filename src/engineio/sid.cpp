#include "engineio/sid.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace engineio {

std::string generate_sid() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
  std::array<unsigned char, 15> random{};
  randombytes_buf(random.data(), random.size());
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string sid(sodium_base64_encoded_len(random.size(), variant), '\0');
  sodium_bin2base64(sid.data(), sid.size(), random.data(), random.size(), variant);
  sid.pop_back();
  return sid;
}

}  // namespace engineio
