#include "auth/login_limiter.hpp"

#include <algorithm>

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

}  // namespace

std::optional<std::chrono::seconds> LoginLimiter::refused(std::string_view username,
                                                          std::string_view address,
                                                          Clock::time_point now) {
  const Clock::duration window = limits_.window;
  std::lock_guard lock(mutex_);
  const auto by_user = wait_time(current(by_username_, username, now, window),
                                 limits_.max_failures_per_username, now, window);
  const auto by_address = wait_time(current(by_address_, address, now, window),
                                    limits_.max_failures_per_address, now, window);
  if (!by_user && !by_address) return std::nullopt;
  const Clock::duration wait = std::max(by_user.value_or(Clock::duration::zero()),
                                        by_address.value_or(Clock::duration::zero()));
  return std::max(std::chrono::ceil<std::chrono::seconds>(wait), std::chrono::seconds{1});
}

void LoginLimiter::record_failure(std::string_view username, std::string_view address,
                                  Clock::time_point now) {
  const Clock::duration window = limits_.window;
  std::lock_guard lock(mutex_);
  add_failure(by_username_, username, limits_.max_failures_per_username, now, window);
  add_failure(by_address_, address, limits_.max_failures_per_address, now, window);
  // Keys that are never looked up again would stay forever: sweep them out now and then, with
  // the threshold doubling so that the cost stays amortised O(1) per failure.
  if (by_username_.size() + by_address_.size() >= next_sweep_) {
    sweep(by_username_, now, window);
    sweep(by_address_, now, window);
    next_sweep_ = std::max(kMinSweep, 2 * (by_username_.size() + by_address_.size()));
  }
}

void LoginLimiter::record_success(std::string_view username) {
  std::lock_guard lock(mutex_);
  by_username_.erase(std::string(username));
}

}  // namespace auth
