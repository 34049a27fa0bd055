#include "auth/base64url.hpp"

#include <sodium.h>

#include "auth/sodium_init.hpp"

namespace auth::detail {

namespace {
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

std::string base64url_encode(std::string_view bytes) {
  ensure_sodium();
  const std::size_t encoded_len = sodium_base64_ENCODED_LEN(bytes.size(), kVariant);  // with NUL
  std::string out(encoded_len, '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kVariant);
  out.resize(encoded_len - 1);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  ensure_sodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t decoded_len = 0;
  // No characters to ignore, and b64_end == nullptr: trailing garbage is an error.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &decoded_len, nullptr, kVariant) != 0) {
    return std::nullopt;
  }
  out.resize(decoded_len);
  return out;
}

}  // namespace auth::detail
