#pragma once
// Ends each live connection when the token that opened it expires. One timer serves them all,
// armed for the earliest expiry, instead of a steady_timer and its pending wait in every
// connection: an idle connection then costs one map node here. Any thread.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "socketio/socket.hpp"

namespace live {

struct Member;

class TokenExpiry {
 public:
  using Due = std::multimap<std::chrono::sys_seconds, std::weak_ptr<socketio::Socket>>;

  explicit TokenExpiry(boost::asio::thread_pool& workers);
  TokenExpiry(const TokenExpiry&) = delete;
  TokenExpiry& operator=(const TokenExpiry&) = delete;

  // The socket of `member` is disconnected at member.expires_at (or soon after).
  void add(Member& member, const std::shared_ptr<socketio::Socket>& socket);
  // Its socket is gone: forget it (nothing if it was not added, or has expired).
  void remove(Member& member);
  // Cancels the timer; call before joining the worker pool.
  void stop();

 private:
  // Mutex held: the timer fires at the earliest expiry.
  void arm();
  void expire();

  std::mutex mutex_;
  Due due_;
  boost::asio::steady_timer timer_;  // mutex_
  std::chrono::sys_seconds armed_for_ = std::chrono::sys_seconds::max();
  bool stopped_ = false;
};

}  // namespace live
