#pragma once
// Values that came from outside (a username, a reason, an error message) as they go into a log
// line: `fmt::format("username={}", base::quoted(name))` writes the value in double quotes with
// `"`, `\` and every control character escaped, bytes that are not UTF-8 replaced, and cut short
// when long, so that no input can end its field or its line early, forge another one, or flood
// the log. The escapes are JSON's, so the same text is also the body of a JSON string.

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace base {

struct LogValue {
  std::string_view text;
};

inline LogValue quoted(std::string_view text) {
  return {text};
}

// Longer values are cut to this many bytes and say how much was left out.
inline constexpr std::size_t kMaxLoggedValueBytes = 256;

// The escaped form, without the surrounding quotes: valid UTF-8 (each byte that is not part of a
// UTF-8 character becomes \ufffd) and a valid JSON string body.
std::string escape_for_log(std::string_view text);

}  // namespace base

template <>
struct fmt::formatter<base::LogValue> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const base::LogValue& value, FormatContext& ctx) const {
    const auto escaped = base::escape_for_log(value.text);
    auto out = ctx.out();
    *out++ = '"';
    out = std::copy(escaped.begin(), escaped.end(), out);
    *out++ = '"';
    return out;
  }
};
