#pragma once
// The /ws/internal namespace: only active internal users get in (JWT from auth.token or the
// Authorization header), they follow reports with join_report / leave_report, and they are
// disconnected when their token expires or their access is withdrawn (see AccessWatch).

#include <boost/asio/thread_pool.hpp>

#include "live/access_watch.hpp"
#include "service/auth_service.hpp"
#include "service/report_service.hpp"
#include "socketio/namespace.hpp"

namespace live {

class InternalChannel {
 public:
  InternalChannel(socketio::Namespace& nsp, service::AuthService& auth,
                  service::ReportService& reports, boost::asio::thread_pool& workers,
                  AccessWatch& access);

 private:
  void authenticate(socketio::Socket& socket, socketio::Namespace::Next next);
  void on_connection(socketio::Socket& socket);
  void follow(socketio::Socket& socket, socketio::Event& event, bool join);

  service::AuthService& auth_;
  service::ReportService& reports_;
  boost::asio::thread_pool& workers_;
  AccessWatch& access_;
};

}  // namespace live
