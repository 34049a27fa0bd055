#pragma once
// Slows down password guessing: failed logins are counted per username and per address in a
// sliding window, and further attempts are refused while either count is over its limit.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace auth {

// A limit of N allows N failures within the window; attempts after them are refused until the
// oldest of those failures leaves the window. A limit <= 0 turns that check off.
struct LoginLimits {
  int max_failures_per_username = 5;
  int max_failures_per_address = 20;
  std::chrono::seconds window{15 * 60};
};

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginLimiter(LoginLimits limits = {}) : limits_(limits) {}

  // Thread-safe. When refused, how long until the next attempt may succeed.
  std::optional<std::chrono::seconds> refused(std::string_view username, std::string_view address,
                                              Clock::time_point now);
  void record_failure(std::string_view username, std::string_view address, Clock::time_point now);
  // A successful login forgets the username's failures (not the address's).
  void record_success(std::string_view username);

 private:
  LoginLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> by_username_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> by_address_;
  // Keys nobody asks about again are swept out once the maps have grown to this many entries.
  std::size_t next_sweep_ = 1024;
};

}  // namespace auth
