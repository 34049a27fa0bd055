#include "auth/login_limiter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace auth {

namespace {

using Clock = LoginLimiter::Clock;
using Failures = std::deque<Clock::time_point>;
using FailureMap = std::unordered_map<std::string, Failures>;

constexpr std::size_t kMinSweep = 1024;

// Drops the failures that have left the window ending at `now`.
void drop_expired(Failures& failures, Clock::time_point now, Clock::duration window) {
  while (!failures.empty() && failures.front() + window <= now) failures.pop_front();
}

// The key's failures still inside the window, or nullptr (and the key forgotten) when none are.
const Failures* current(FailureMap& map, std::string_view key, Clock::time_point now,
                        Clock::duration window) {
  auto it = map.find(std::string(key));
  if (it == map.end()) return nullptr;
  drop_expired(it->second, now, window);
  if (it->second.empty()) {
    map.erase(it);
    return nullptr;
  }
  return &it->second;
}

// How long until fewer than `limit` failures remain in the window, when `limit` is reached.
std::optional<Clock::duration> wait_time(const Failures* failures, int limit, Clock::time_point now,
                                         Clock::duration window) {
  if (failures == nullptr || limit <= 0) return std::nullopt;
  const auto count = failures->size();
  if (count < static_cast<std::size_t>(limit)) return std::nullopt;
  // Once this failure leaves the window, limit - 1 remain.
  const Clock::time_point deciding = (*failures)[count - static_cast<std::size_t>(limit)];
  return deciding + window - now;
}

void add_failure(FailureMap& map, std::string_view key, int limit, Clock::time_point now,
                 Clock::duration window) {
  if (limit <= 0) return;  // this check is off; remember nothing
  auto it = map.try_emplace(std::string(key)).first;
  auto& failures = it->second;
  // Callers on several threads may arrive slightly out of order: keep the deque sorted.
  failures.insert(std::upper_bound(failures.begin(), failures.end(), now), now);
  drop_expired(failures, now, window);
  // Only the newest limit + 1 failures can ever decide a refusal.
  while (failures.size() > static_cast<std::size_t>(limit) + 1) failures.pop_front();
  if (failures.empty()) map.erase(it);  // a window <= 0 keeps nothing
}

void sweep(FailureMap& map, Clock::time_point now, Clock::duration window) {
  for (auto it = map.begin(); it != map.end();) {
    drop_expired(it->second, now, window);
    it = it->second.empty() ? map.erase(it) : std::next(it);
  }
}

std::string pair_key(std::string_view username, std::string_view address) {
  std::string key(username);
  key += '\0';  // usernames hold no NUL: the two parts cannot run into each other
  key += address;
  return key;
}

}  // namespace

std::string address_key(std::string_view address) {
  in6_addr ip6{};
  const std::string text(address);
  if (inet_pton(AF_INET6, text.c_str(), &ip6) != 1) return text;
  std::memset(&ip6.s6_addr[8], 0, 8);
  char prefix[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &ip6, prefix, sizeof prefix);
  return std::string(prefix) + "/64";
}

std::optional<std::chrono::seconds> LoginLimiter::refused(std::string_view username,
                                                          std::string_view address,
                                                          Clock::time_point now) {
  const Clock::duration window = limits_.window;
  const auto from = address_key(address);
  std::lock_guard lock(mutex_);
  const auto* pair = current(by_pair_, pair_key(username, from), now, window);
  std::optional<Clock::duration> wait;
  auto consider = [&](std::optional<Clock::duration> w) {
    if (w) wait = std::max(wait.value_or(Clock::duration::zero()), *w);
  };
  consider(wait_time(pair, limits_.max_failures_per_pair, now, window));
  consider(wait_time(current(by_address_, from, now, window), limits_.max_failures_per_address, now,
                     window));
  if (pair != nullptr) {
    consider(wait_time(current(by_username_, username, now, window),
                       limits_.max_failures_per_username, now, window));
  }
  if (!wait) return std::nullopt;
  return std::max(std::chrono::ceil<std::chrono::seconds>(*wait), std::chrono::seconds{1});
}

void LoginLimiter::record_failure(std::string_view username, std::string_view address,
                                  Clock::time_point now) {
  const Clock::duration window = limits_.window;
  const auto from = address_key(address);
  std::lock_guard lock(mutex_);
  // The pair is remembered even when its own check is off: it tells the username check which
  // addresses have failed.
  add_failure(by_pair_, pair_key(username, from), std::max(limits_.max_failures_per_pair, 1), now,
              window);
  add_failure(by_username_, username, limits_.max_failures_per_username, now, window);
  add_failure(by_address_, from, limits_.max_failures_per_address, now, window);
  // Keys that are never looked up again would stay forever: sweep them out now and then, with
  // the threshold doubling so that the cost stays amortised O(1) per failure.
  const auto entries = [this] {
    return by_pair_.size() + by_username_.size() + by_address_.size();
  };
  if (entries() >= next_sweep_) {
    for (auto* map : {&by_pair_, &by_username_, &by_address_}) sweep(*map, now, window);
    next_sweep_ = std::max(kMinSweep, 2 * entries());
  }
}

void LoginLimiter::record_success(std::string_view username, std::string_view address) {
  std::lock_guard lock(mutex_);
  by_pair_.erase(pair_key(username, address_key(address)));
}

}  // namespace auth
