#pragma once
// Announces committed comments on the live channel: comment.created to room report:<id>, with
// the same JSON as the 201 that answered the comment's creation.

#include <optional>
#include <string_view>

#include "service/report_service.hpp"
#include "socketio/namespace.hpp"

namespace live {

inline constexpr const char* kInternalNamespace = "/ws/internal";

std::string report_room(std::int64_t report_id);
// The report of a room "report:<id>" (a positive decimal id and nothing else); nullopt for any
// other room.
std::optional<std::int64_t> report_of_room(std::string_view room);
// A positive decimal integer and nothing else (a comment id as a recovery offset).
std::optional<std::int64_t> parse_positive_id(std::string_view text);

class CommentBroadcaster : public service::CommentEmitter {
 public:
  explicit CommentBroadcaster(socketio::Namespace& nsp) : nsp_(nsp) {}
  void comment_created(const store::Comment& comment) override;

 private:
  socketio::Namespace& nsp_;
};

}  // namespace live
