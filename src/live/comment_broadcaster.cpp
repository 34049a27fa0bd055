#include "live/comment_broadcaster.hpp"

#include <charconv>

#include "service/representation.hpp"

namespace live {

std::string report_room(std::int64_t report_id) {
  return "report:" + std::to_string(report_id);
}

std::optional<std::int64_t> parse_positive_id(std::string_view text) {
  std::int64_t id = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (ec != std::errc() || ptr != end || id <= 0) return std::nullopt;
  return id;
}

std::optional<std::int64_t> report_of_room(std::string_view room) {
  constexpr std::string_view kPrefix = "report:";
  if (!room.starts_with(kPrefix)) return std::nullopt;
  return parse_positive_id(room.substr(kPrefix.size()));
}

void CommentBroadcaster::comment_created(const store::Comment& comment) {
  // The comment id is the offset a recovering client resumes from (StoredSessions).
  nsp_.to(report_room(comment.report_id))
      .offset(std::to_string(comment.id))
      .emit("comment.created", {service::comment_json(comment, service::TimeStyle::utc)});
}

}  // namespace live
