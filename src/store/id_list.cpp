#include "store/id_list.hpp"

#include <algorithm>
#include <charconv>

namespace store {

std::string format_id_list(std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string text;
  for (const auto id : ids) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  return text;
}

std::optional<std::vector<std::int64_t>> parse_id_list(std::string_view text) {
  std::vector<std::int64_t> ids;
  if (text.empty()) return ids;
  const char* at = text.data();
  const char* const end = text.data() + text.size();
  while (true) {
    std::int64_t id = 0;
    auto [next, ec] = std::from_chars(at, end, id);
    if (ec != std::errc() || (!ids.empty() && id <= ids.back())) return std::nullopt;
    ids.push_back(id);
    if (next == end) return ids;
    if (*next != ',') return std::nullopt;
    at = next + 1;
  }
}

}  // namespace store
