#include "service/text_rules.hpp"

#include <optional>
#include <string>

#include "base/utf8.hpp"
#include "service/errors.hpp"

namespace service {
namespace {

using Kind = Error::Kind;

// White space as JavaScript's String.prototype.trim sees it, so that what the front end shows
// as empty is empty here too, and the characters that show nothing at all.
bool is_invisible(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200D) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x2060 || c == 0x3000 || c == 0xFEFF || c == 0x180E || c == 0xAD;
}

bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

// Characters that reorder the text around them: shown in a title, they can make it read as
// something else than what was typed.
bool is_bidi_override(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// U+0000 nowhere: PostgreSQL text cannot hold it, and the API must not accept on one backend
// what it refuses on the other.
bool is_allowed(char32_t c, TextKind kind) {
  if (kind == TextKind::text) return c != 0;
  return !is_control(c) && !is_bidi_override(c);
}

struct TextShape {
  std::size_t length = 0;  // in code points
  bool blank = true;
  bool allowed = true;
};

std::optional<TextShape> shape_of(std::string_view text, TextKind kind) {
  TextShape shape;
  for (std::size_t i = 0; i < text.size();) {
    auto code = base::next_code_point(text, i);
    if (!code) return std::nullopt;
    ++shape.length;
    shape.blank = shape.blank && is_invisible(*code);
    shape.allowed = shape.allowed && is_allowed(*code, kind);
  }
  return shape;
}

}  // namespace

void require_text(std::string_view field, std::string_view value, std::size_t max_chars,
                  TextKind kind) {
  const std::string name(field);
  // Checked first, so that a huge value costs nothing more than its size.
  if (value.size() > 4 * max_chars) {
    throw Error(Kind::bad_request, name + "_too_long",
                name + " is longer than " + std::to_string(max_chars) + " characters");
  }
  auto shape = shape_of(value, kind);
  if (!shape) throw Error(Kind::bad_request, "invalid_" + name, name + " is not valid UTF-8");
  if (shape->blank) throw Error(Kind::bad_request, "empty_" + name, name + " must not be empty");
  if (!shape->allowed) {
    throw Error(Kind::bad_request, "invalid_" + name,
                name + " contains control or text-direction characters");
  }
  if (shape->length > max_chars) {
    throw Error(Kind::bad_request, name + "_too_long",
                name + " is longer than " + std::to_string(max_chars) + " characters");
  }
}

}  // namespace service
