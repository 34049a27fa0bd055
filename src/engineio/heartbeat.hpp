#pragma once
// The server's side of the Engine.IO v4 heartbeat, on the session's strand: a ping every ping
// interval, and the session ends when no pong follows within the ping timeout. This class is
// the timer and what it is waiting for; the session decides what a beat does.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "net/executor.hpp"

namespace engineio {

class Heartbeat {
 public:
  explicit Heartbeat(net::Strand strand) : timer_(strand) {}

  // Calls `on_due` after `delay`, unless started again or stopped first; `on_due` holds
  // whatever must outlive the wait. Forgets any pong it was waiting for.
  template <class Handler>
  void start(std::chrono::milliseconds delay, Handler on_due) {
    awaiting_pong_ = false;
    const auto generation = ++generation_;
    timer_.expires_after(delay);
    timer_.async_wait(
        [this, generation, on_due = std::move(on_due)](boost::system::error_code ec) mutable {
          // A wake-up from an earlier start() (its cancel raced the expiry) is stale.
          if (ec || generation != generation_) return;
          on_due();
        });
  }

  void stop() {
    ++generation_;
    timer_.cancel();
  }

  // A ping went out: the next beat is due at the ping timeout, and a pong must come first.
  void expect_pong() { awaiting_pong_ = true; }
  bool awaiting_pong() const { return awaiting_pong_; }

 private:
  boost::asio::steady_timer timer_;
  std::uint64_t generation_ = 0;  // tells a stale timer wake-up from a live one
  bool awaiting_pong_ = false;
};

}  // namespace engineio
