#include "live/access_watch.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <unordered_set>

#include "net/log.hpp"

namespace live {

namespace asio = boost::asio;

AccessWatch::AccessWatch(service::AuthService& auth, asio::thread_pool& workers, Timing timing)
    : auth_(auth),
      timing_(timing),
      strand_(asio::make_strand(workers)),
      feed_timer_(strand_),
      recheck_timer_(strand_) {}

void AccessWatch::start() {
  asio::dispatch(strand_, [this] {
    try {
      feed_position_ = auth_.latest_user_change();
    } catch (const std::exception& e) {
      net::log_event(net::LogLevel::warn, "user_feed_unavailable", {{"error", e.what()}});
    }
    repeat(feed_timer_, timing_.feed_interval, &AccessWatch::read_feed);
    repeat(recheck_timer_, timing_.recheck_interval, &AccessWatch::recheck_everyone);
  });
}

void AccessWatch::stop() {
  asio::dispatch(strand_, [this] {
    stopped_ = true;
    feed_timer_.cancel();
    recheck_timer_.cancel();
  });
}

void AccessWatch::watch(std::int64_t user_id, const std::shared_ptr<socketio::Socket>& socket) {
  std::lock_guard lock(mutex_);
  if (watched_.try_emplace(socket.get(), Watched{user_id, socket}).second) {
    ++sockets_per_user_[user_id];
  }
}

void AccessWatch::forget(std::int64_t user_id, const socketio::Socket& socket) {
  std::lock_guard lock(mutex_);
  if (watched_.erase(&socket) == 0) return;
  if (auto count = sockets_per_user_.find(user_id);
      count != sockets_per_user_.end() && --count->second == 0) {
    sockets_per_user_.erase(count);
  }
}

// Runs `action` every `interval` on the strand until stop(); an interval <= 0 means never.
void AccessWatch::repeat(boost::asio::steady_timer& timer, std::chrono::milliseconds interval,
                         void (AccessWatch::*action)()) {
  if (stopped_ || interval.count() <= 0) return;
  timer.expires_after(interval);
  timer.async_wait([this, &timer, interval, action](boost::system::error_code ec) {
    if (ec || stopped_) return;
    (this->*action)();
    repeat(timer, interval, action);
  });
}

void AccessWatch::read_feed() {
  try {
    auto changes = auth_.user_changes_after(feed_position_);
    std::unordered_set<std::int64_t> users;
    for (const auto& change : changes) {
      feed_position_ = std::max(feed_position_, change.seq);
      users.insert(change.user_id);
    }
    {
      std::lock_guard lock(mutex_);
      std::erase_if(users, [this](std::int64_t id) { return !sockets_per_user_.contains(id); });
    }
    for (auto id : users) check(id);
  } catch (const std::exception& e) {
    net::log_event(net::LogLevel::warn, "user_feed_unavailable", {{"error", e.what()}});
  }
}

void AccessWatch::recheck_everyone() {
  for (auto id : watched_users()) check(id);
}

std::vector<std::int64_t> AccessWatch::watched_users() const {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> ids;
  ids.reserve(sockets_per_user_.size());
  for (const auto& [id, count] : sockets_per_user_) ids.push_back(id);
  return ids;
}

void AccessWatch::check(std::int64_t user_id) {
  try {
    auth_.check_still_internal(user_id);
    return;
  } catch (const service::Error& e) {
    if (e.kind() == service::Error::Kind::unavailable) return;  // try again next time
    net::log_event(net::LogLevel::info, "live_access_revoked",
                   {{"user_id", std::to_string(user_id)}, {"reason", e.code()}});
  } catch (const std::exception& e) {
    net::log_event(net::LogLevel::warn, "user_check_failed",
                   {{"user_id", std::to_string(user_id)}, {"error", e.what()}});
    return;
  }
  std::vector<std::weak_ptr<socketio::Socket>> sockets;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(watched_, [&](const auto& entry) {
      if (entry.second.user_id != user_id) return false;
      sockets.push_back(entry.second.socket);
      return true;
    });
    sockets_per_user_.erase(user_id);
  }
  for (const auto& weak : sockets) {
    if (auto socket = weak.lock()) socket->disconnect();
  }
}

}  // namespace live
