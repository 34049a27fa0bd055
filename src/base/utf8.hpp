#pragma once
// UTF-8 as RFC 3629 defines it, strictly: no overlong forms, no surrogates, nothing above
// U+10FFFF. WebSocket text frames (RFC 6455 §8.1) and the service's text fields use this one
// decoder, so that what one layer accepts the other does too.

#include <optional>
#include <string_view>

namespace base {

// Decodes the code point that starts at text[i] and moves i past it; nullopt (i unchanged)
// when the bytes there are not valid UTF-8.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i);

bool is_valid_utf8(std::string_view text);

}  // namespace base
