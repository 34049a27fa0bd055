#pragma once
// The /ws/internal namespace: only active internal users get in (JWT from auth.token or the
// Authorization header), they follow reports with join_report / leave_report, and they are
// disconnected when their token expires or their access is withdrawn (see AccessWatch).

#include <boost/asio/thread_pool.hpp>

#include "live/access_watch.hpp"
#include "live/member.hpp"
#include "live/presence.hpp"
#include "live/token_expiry.hpp"
#include "service/auth_service.hpp"
#include "service/report_service.hpp"
#include "socketio/namespace.hpp"

namespace live {

class InternalChannel {
 public:
  InternalChannel(socketio::Namespace& nsp, service::AuthService& auth,
                  service::ReportService& reports, boost::asio::thread_pool& workers,
                  AccessWatch& access, Presence& presence);

  // Cancels the token expiry timer; call before joining the worker pool.
  void stop();

 private:
  void authenticate(socketio::Socket& socket, socketio::Namespace::Next next);
  void on_connection(socketio::Socket& socket);
  void on_disconnect(socketio::Socket& socket, socketio::DisconnectReason reason);
  void follow(socketio::Socket& socket, socketio::Event& event, bool join);
  // join_report once the request is checked: joins, then answers (on the worker pool).
  void start_join(const socketio::SocketPtr& socket, const std::shared_ptr<Member>& member,
                  const std::shared_ptr<socketio::Event>& pending, std::int64_t report_id,
                  std::optional<std::int64_t> after);
  // The member follows a report now, or no longer: presence hears of it (once per socket).
  void followed(Member& member, std::int64_t report_id, bool following);
  // Runs one step of a join/leave request; a failure answers the request (and a user who lost
  // their access is disconnected), and the request no longer counts as pending.
  void guarded(socketio::Socket& socket, Member& member, socketio::Event& pending,
               std::int64_t report_id, const std::function<void()>& step);
  // Acknowledges a join with who follows the report now.
  void ack_with_viewers(std::shared_ptr<socketio::Event> pending, boost::json::object answer,
                        const Viewer& user, std::int64_t report_id);
  // join_report with afterCommentId: the comments after it (as comment.created carries them),
  // and whether more follow.
  void catch_up(boost::json::object& answer, const store::User& user, std::int64_t report_id,
                std::int64_t after);

  service::AuthService& auth_;
  service::ReportService& reports_;
  boost::asio::thread_pool& workers_;
  AccessWatch& access_;
  Presence& presence_;
  TokenExpiry expiry_;
};

}  // namespace live
