#pragma once
// Timestamps as stored: UTC ISO-8601 text with milliseconds and a trailing Z, e.g.
// "2026-03-29T00:59:59.123Z". Fixed width for years 0000..9999, so text order is time order.
// Also how the API and the live channel write UTC instants (service/representation).

#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace store {

// Throws std::out_of_range for an instant outside the years 0000..9999.
std::string format_timestamp(Timestamp t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.f...]Z" (1 to 9 fraction digits, truncated to milliseconds;
// 't'/'z' and a space instead of 'T' are accepted too). Returns nullopt for anything else,
// including out-of-range fields such as February 30th.
std::optional<Timestamp> parse_timestamp(std::string_view text);

}  // namespace store
