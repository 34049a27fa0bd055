#pragma once
// base64 in the two alphabets the protocols use (RFC 4648): the standard padded one, in which
// Engine.IO polling carries binary packets, and the URL-safe unpadded one of JWS and of our
// random ids. One codec (libsodium's: constant-time, strict about its input) for both.

#include <optional>
#include <string>
#include <string_view>

namespace base {

enum class Base64 {
  standard,  // RFC 4648 §4, padded
  url,       // RFC 4648 §5, no padding
};

std::string encode_base64(std::string_view bytes, Base64 alphabet);

// Strict: only the alphabet's characters, its padding rule, no whitespace, nothing after the
// end, and the unused low bits of the last character must be zero. nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text, Base64 alphabet);

}  // namespace base
