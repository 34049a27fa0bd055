#include "base/base64.hpp"

#include <sodium.h>

#include "base/random.hpp"

namespace base {
namespace {

int variant_of(Base64 alphabet) {
  return alphabet == Base64::standard ? sodium_base64_VARIANT_ORIGINAL
                                      : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

}  // namespace

std::string encode_base64(std::string_view bytes, Base64 alphabet) {
  ensure_sodium();
  const int variant = variant_of(alphabet);
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.pop_back();  // the terminating NUL that libsodium writes
  return out;
}

std::optional<std::string> decode_base64(std::string_view text, Base64 alphabet) {
  ensure_sodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, &end, variant_of(alphabet)) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

}  // namespace base
