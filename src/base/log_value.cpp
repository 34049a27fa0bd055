#include "base/log_value.hpp"

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

std::string escape_for_log(std::string_view text) {
  const auto kept = text.substr(0, kMaxLoggedValueBytes);
  std::string out;
  out.reserve(kept.size() + 16);
  for (char c : kept) append_escaped(out, static_cast<unsigned char>(c));
  if (kept.size() < text.size()) {
    out += "...(";
    out += std::to_string(text.size() - kept.size());
    out += " more bytes)";
  }
  return out;
}

}  // namespace base
