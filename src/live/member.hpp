#pragma once
// What the /ws/internal channel keeps per connected user, in the socket's extensions: who they
// are, until when their token is good, and the order of their join/leave requests. Kept small:
// every idle connection has one.

#include <algorithm>
#include <atomic>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "live/presence.hpp"
#include "live/token_expiry.hpp"
#include "socketio/socket.hpp"

namespace live {

using WorkerStrand = boost::asio::strand<boost::asio::thread_pool::executor_type>;

struct Member {
  Member(Viewer u, std::chrono::sys_seconds expiry_time)
      : user(std::move(u)), expires_at(expiry_time) {}

  Viewer user;
  std::chrono::sys_seconds expires_at;
  // Its entry in TokenExpiry (guarded by TokenExpiry's mutex).
  std::optional<TokenExpiry::Due::iterator> expiry;
  // join/leave requests of one socket that need the worker pool run there in order, on a strand
  // that lives while requests are pending: an idle member keeps none. Socket strand only.
  WorkerStrand request_strand(boost::asio::thread_pool& workers) {
    std::lock_guard lock(mutex_);
    if (!requests_) requests_ = std::make_unique<WorkerStrand>(boost::asio::make_strand(workers));
    return *requests_;
  }
  // The requests accepted and not answered yet: counted up on the socket strand before a
  // request is queued, down by request_done() once it is answered (any thread).
  std::atomic<int> pending{0};
  void request_done() {
    if (pending.fetch_sub(1) != 1) return;
    std::lock_guard lock(mutex_);
    if (pending == 0) requests_.reset();  // the next request makes a new strand
  }
  // Connection state recovery: this connection's hold on its saved session (see
  // store::RecoverySession::owner), and where a client with no offset resumes.
  std::string recovery_owner;
  std::int64_t recovery_since = 0;

  // The reports this socket follows, for the presence announcements when it goes away (by then
  // the adapter has forgotten its rooms). Any thread. Whether it changed anything.
  bool followed(std::int64_t report_id, bool following) {
    std::lock_guard lock(mutex_);
    const auto at = std::lower_bound(following_.begin(), following_.end(), report_id);
    if (following == (at != following_.end() && *at == report_id)) return false;
    if (following) {
      following_.insert(at, report_id);
    } else {
      following_.erase(at);
    }
    return true;
  }
  std::vector<std::int64_t> following() const {
    std::lock_guard lock(mutex_);
    return following_;
  }

 private:
  mutable std::mutex mutex_;  // requests_ and following_
  // A pointer, not an optional: 8 bytes instead of 32 in every idle member.
  std::unique_ptr<WorkerStrand> requests_;
  // Sorted. Mostly one or a few reports, for which a vector is half the size of a set.
  std::vector<std::int64_t> following_;
};

// The member that the channel's middleware left on `socket`; null before it ran.
inline std::shared_ptr<Member> member_of(const socketio::Socket& socket) {
  const auto* member = socket.extensions.get<std::shared_ptr<Member>>();
  return member ? *member : nullptr;
}

}  // namespace live
