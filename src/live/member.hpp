#pragma once
// What the /ws/internal channel keeps per connected user, in the socket's extensions: who they
// are, until when their token is good, and the order of their join/leave requests.

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "socketio/socket.hpp"
#include "store/store.hpp"

namespace live {

using WorkerStrand = boost::asio::strand<boost::asio::thread_pool::executor_type>;

struct Member {
  Member(store::User u, std::chrono::sys_seconds expiry_time, WorkerStrand strand)
      : user(std::move(u)), expires_at(expiry_time), requests(strand) {}

  store::User user;
  std::chrono::sys_seconds expires_at;
  // join/leave requests of one socket run in order on the worker pool.
  WorkerStrand requests;
  std::atomic<int> pending{0};
  std::unique_ptr<boost::asio::steady_timer> expiry;
  // Connection state recovery: this connection's hold on its saved session (see
  // store::RecoverySession::owner), and where a client with no offset resumes.
  std::string recovery_owner;
  std::int64_t recovery_since = 0;

  // The reports this socket follows, for the presence announcements when it goes away (by then
  // the adapter has forgotten its rooms). Any thread.
  void followed(std::int64_t report_id, bool following) {
    std::lock_guard lock(follow_mutex);
    if (following) {
      following_.insert(report_id);
    } else {
      following_.erase(report_id);
    }
  }
  std::set<std::int64_t> following() const {
    std::lock_guard lock(follow_mutex);
    return following_;
  }

 private:
  mutable std::mutex follow_mutex;
  std::set<std::int64_t> following_;
};

// The member that the channel's middleware left on `socket`; null before it ran.
inline std::shared_ptr<Member> member_of(const socketio::Socket& socket) {
  const auto* member = socket.extensions.get<std::shared_ptr<Member>>();
  return member ? *member : nullptr;
}

}  // namespace live
