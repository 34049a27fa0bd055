#pragma once
// Ends the live connections of users who lose their access, on every node: it follows the
// store's feed of user changes (written by any node, by the CLI, and by a trigger for changes
// made behind reportd's back), and it rechecks every connected user now and then in case a
// change escaped the feed. Network threads are never blocked: all reads run on the worker pool.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "service/auth_service.hpp"
#include "socketio/socket.hpp"

namespace live {

class AccessWatch {
 public:
  struct Timing {
    // How often the feed is read: a withdrawn access ends live connections within about this.
    std::chrono::milliseconds feed_interval{250};
    std::chrono::seconds recheck_interval{30};  // USER_RECHECK_SECONDS
  };

  AccessWatch(service::AuthService& auth, boost::asio::thread_pool& workers, Timing timing);
  AccessWatch(const AccessWatch&) = delete;
  AccessWatch& operator=(const AccessWatch&) = delete;

  // Starts following the feed from its current end.
  void start();
  // Cancels the timers; call before joining the worker pool, which they would keep busy.
  void stop();

  // Any thread. The socket is watched until forget() (or until it is gone).
  void watch(std::int64_t user_id, const std::shared_ptr<socketio::Socket>& socket);
  void forget(std::int64_t user_id, const socketio::Socket& socket);

 private:
  using WorkerStrand = boost::asio::strand<boost::asio::thread_pool::executor_type>;

  void repeat(boost::asio::steady_timer& timer, std::chrono::milliseconds interval,
              void (AccessWatch::*action)());
  void read_feed();
  void recheck_everyone();
  // Worker thread: disconnects the user's sockets unless they may still be here.
  void check(std::int64_t user_id);
  std::vector<std::int64_t> watched_users() const;

  service::AuthService& auth_;
  const Timing timing_;
  WorkerStrand strand_;  // the timers and the feed position
  boost::asio::steady_timer feed_timer_;
  boost::asio::steady_timer recheck_timer_;
  std::int64_t feed_position_ = 0;
  bool stopped_ = false;

  // Keyed by socket, so that watching and forgetting one of a user's many sockets costs the
  // same as one of few; finding a user's sockets walks them all, which only a lost access does.
  struct Watched {
    std::int64_t user_id;
    std::weak_ptr<socketio::Socket> socket;
  };
  mutable std::mutex mutex_;
  std::unordered_map<const socketio::Socket*, Watched> watched_;
  std::unordered_map<std::int64_t, std::size_t> sockets_per_user_;
};

}  // namespace live
