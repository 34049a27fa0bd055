#pragma once
// Lists of ids as one text value, "3,17": how recovery_sessions.report_ids is stored, and how a
// list of ids is bound as one parameter (wrapped as a JSON or PostgreSQL array).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace store {

// Ascending, each id once, joined by commas; "" for none.
std::string format_id_list(std::vector<std::int64_t> ids);

// A list as format_id_list writes it: integers, strictly ascending, joined by commas. nullopt
// for any other text: the column is reportd's, but a value written behind its back must not be
// taken for a list.
std::optional<std::vector<std::int64_t>> parse_id_list(std::string_view text);

}  // namespace store
