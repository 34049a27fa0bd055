#include "store/timestamps.hpp"

#include <date/date.h>

#include <stdexcept>

namespace store {

namespace {

using namespace std::chrono;

// Reads exactly `n` decimal digits at `pos`; nullopt if any is not a digit.
std::optional<int> read_digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string format_timestamp(Timestamp t) {
  const year_month_day ymd{floor<days>(t)};
  if (ymd.year() < year{0} || ymd.year() > year{9999}) {
    throw std::out_of_range("timestamp outside the years 0000..9999");
  }
  return date::format("%FT%TZ", t);
}

// Written by hand rather than with date::parse: it also reads the forms SQLite's own date
// functions write (a space for the T, up to nine fraction digits, cut to milliseconds).
std::optional<Timestamp> parse_timestamp(std::string_view s) {
  // 0123456789012345678
  // YYYY-MM-DDTHH:MM:SS
  if (s.size() < 20) return std::nullopt;
  auto y = read_digits(s, 0, 4);
  auto mo = read_digits(s, 5, 2);
  auto d = read_digits(s, 8, 2);
  auto h = read_digits(s, 11, 2);
  auto mi = read_digits(s, 14, 2);
  auto sec = read_digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;

  std::size_t pos = 19;
  int millis = 0;
  if (s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  if (pos + 1 != s.size() || (s[pos] != 'Z' && s[pos] != 'z')) return std::nullopt;

  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *sec > 59) return std::nullopt;

  return Timestamp{sys_days{ymd}} + hours{*h} + minutes{*mi} + seconds{*sec} + milliseconds{millis};
}

}  // namespace store
