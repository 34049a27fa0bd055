#include "base/utf8.hpp"

#include <boost/locale/utf.hpp>

namespace base {

// Boost.Locale's header-only decoder (it needs no Boost.Locale library): strict as RFC 3629
// asks, rejecting overlong forms, surrogates and code points above U+10FFFF.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  namespace utf = boost::locale::utf;
  const char* position = text.data() + i;
  const auto code = utf::utf_traits<char>::decode(position, text.data() + text.size());
  if (code == utf::illegal || code == utf::incomplete) return std::nullopt;
  i = static_cast<std::size_t>(position - text.data());
  return static_cast<char32_t>(code);
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;  // most text is ASCII: no decoding needed
    } else if (!next_code_point(text, i)) {
      return false;
    }
  }
  return true;
}

}  // namespace base
