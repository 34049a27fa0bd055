#pragma once
// Slows down password guessing without letting anyone lock an owner out of their account.
//
// Failed logins are counted in a sliding window three ways:
// - per (username, address): after max_failures_per_pair, that address may not try that username;
// - per address: after max_failures_per_address, that address may not try any username;
// - per username: after max_failures_per_username, no address that has already failed for that
//   username may try it again.
// An address that has not failed for a username is never refused because of others' failures,
// so the owner, from their own address and with the right password, always gets in. A guesser
// gets at most max_failures_per_username guesses per window per username, plus one per fresh
// address (IPv6 addresses count per /64, the block one subscriber usually holds).

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
  int max_failures_per_pair = 5;
  int max_failures_per_username = 50;
  int max_failures_per_address = 20;
  std::chrono::seconds window{15 * 60};
};

// The counts live in this process; a cluster replaces them with shared ones by overriding the
// three calls (src/cluster), keeping these as its fallback.
class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginLimiter(LoginLimits limits = {}) : limits_(limits) {}
  virtual ~LoginLimiter() = default;
  LoginLimiter(const LoginLimiter&) = delete;
  LoginLimiter& operator=(const LoginLimiter&) = delete;

  const LoginLimits& limits() const { return limits_; }

  // Thread-safe. When refused, how long until the next attempt may succeed.
  virtual std::optional<std::chrono::seconds> refused(std::string_view username,
                                                      std::string_view address,
                                                      Clock::time_point now);
  virtual void record_failure(std::string_view username, std::string_view address,
                              Clock::time_point now);
  // A successful login forgets that address's failures for the username (not the username's
  // count, which a guesser elsewhere may have filled, nor the address's).
  virtual void record_success(std::string_view username, std::string_view address);

 private:
  using Failures = std::deque<Clock::time_point>;
  using FailureMap = std::unordered_map<std::string, Failures>;

  LoginLimits limits_;
  std::mutex mutex_;
  FailureMap by_pair_;
  FailureMap by_username_;
  FailureMap by_address_;
  // Keys nobody asks about again are swept out once the maps have grown to this many entries.
  std::size_t next_sweep_ = 1024;
};

// The key an address is counted under: IPv4 as it is, IPv6 by its /64 prefix.
std::string address_key(std::string_view address);

}  // namespace auth
