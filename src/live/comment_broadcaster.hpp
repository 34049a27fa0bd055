#pragma once
// Announces committed comments on the live channel: comment.created to room report:<id>, with
// the same JSON as the 201 that answered the comment's creation.

#include "service/report_service.hpp"
#include "socketio/namespace.hpp"

namespace live {

inline constexpr const char* kInternalNamespace = "/ws/internal";

std::string report_room(std::int64_t report_id);

class CommentBroadcaster : public service::CommentEmitter {
 public:
  explicit CommentBroadcaster(socketio::Namespace& nsp) : nsp_(nsp) {}
  void comment_created(const store::Comment& comment) override;

 private:
  socketio::Namespace& nsp_;
};

}  // namespace live
