#include "base/log_value.hpp"

#include <algorithm>

#include "base/utf8.hpp"

namespace base {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_escaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  if (c < 0x20 || c == 0x7F) {
    out += "\\u00";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
    return;
  }
  out += static_cast<char>(c);
}

}  // namespace

// Walks the text one character (or stray byte) at a time, so that the cut never splits a
// character in two.
std::string escape_for_log(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxLoggedValueBytes) + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t end = i;
    const bool character = c >= 0x80 && next_code_point(text, end);
    if (!character) end = i + 1;
    if (end > kMaxLoggedValueBytes) break;
    if (character) {
      out.append(text.substr(i, end - i));
    } else if (c >= 0x80) {
      out += "\\ufffd";  // not UTF-8: the replacement character, so that the line stays UTF-8
    } else {
      append_escaped(out, c);
    }
    i = end;
  }
  if (i < text.size()) {
    out += "...(";
    out += std::to_string(text.size() - i);
    out += " more bytes)";
  }
  return out;
}

}  // namespace base
