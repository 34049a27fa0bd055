#pragma once
// What text the service accepts in a field: valid UTF-8 (the one strict decoder, base/utf8),
// not blank as the front end sees blank, within a length in characters, and for one-line fields
// (titles, names) no control or text-direction characters.

#include <cstddef>
#include <string_view>

namespace service {

enum class TextKind {
  line,  // a title, a name: shown alone on one line, so no control characters or bidi overrides
  text,  // a description, a comment: any text but U+0000, shown as text by the front end
};

// Throws Error(bad_request) with the code "<field>_too_long", "empty_<field>" or
// "invalid_<field>" when `value` breaks a rule.
void require_text(std::string_view field, std::string_view value, std::size_t max_chars,
                  TextKind kind);

}  // namespace service
