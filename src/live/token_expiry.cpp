#include "live/token_expiry.hpp"

#include <algorithm>
#include <vector>

#include "live/member.hpp"
#include "net/log.hpp"

namespace live {
namespace {

// An external issuer may set exp centuries ahead: a timer waits at most this long at a time.
constexpr auto kLongestWait = std::chrono::hours(24 * 365);

}  // namespace

TokenExpiry::TokenExpiry(boost::asio::thread_pool& workers) : timer_(workers) {}

void TokenExpiry::add(Member& member, const std::shared_ptr<socketio::Socket>& socket) {
  std::lock_guard lock(mutex_);
  if (stopped_ || member.expiry) return;
  member.expiry = due_.emplace(member.expires_at, socket);
  if (member.expires_at < armed_for_) arm();
}

void TokenExpiry::remove(Member& member) {
  std::lock_guard lock(mutex_);
  if (!member.expiry) return;
  due_.erase(*member.expiry);
  member.expiry.reset();
}

void TokenExpiry::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  timer_.cancel();
}

void TokenExpiry::arm() {
  if (due_.empty()) {
    armed_for_ = std::chrono::sys_seconds::max();
    return;
  }
  armed_for_ = due_.begin()->first;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(armed_for_ - std::chrono::system_clock::now());
  timer_.expires_after(std::clamp<std::chrono::milliseconds>(left, {}, kLongestWait));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) expire();
  });
}

void TokenExpiry::expire() {
  std::vector<std::shared_ptr<socketio::Socket>> expired;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    const auto now = std::chrono::system_clock::now();
    const auto end = due_.upper_bound(std::chrono::floor<std::chrono::seconds>(now));
    for (auto entry = due_.begin(); entry != end;) {
      if (auto socket = entry->second.lock()) {
        if (auto member = member_of(*socket)) member->expiry.reset();
        expired.push_back(std::move(socket));
      }
      entry = due_.erase(entry);
    }
    arm();
  }
  for (const auto& socket : expired) {
    net::log_event(net::LogLevel::info, "live_token_expired", {{"socket", socket->id()}});
    socket->disconnect();
  }
}

}  // namespace live
