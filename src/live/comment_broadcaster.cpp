#include "live/comment_broadcaster.hpp"

#include "service/representation.hpp"

namespace live {

std::string report_room(std::int64_t report_id) {
  return "report:" + std::to_string(report_id);
}

void CommentBroadcaster::comment_created(const store::Comment& comment) {
  // The comment id is the offset a recovering client resumes from (StoredSessions).
  nsp_.to(report_room(comment.report_id))
      .offset(std::to_string(comment.id))
      .emit("comment.created", {service::comment_json(comment, service::TimeStyle::utc)});
}

}  // namespace live
