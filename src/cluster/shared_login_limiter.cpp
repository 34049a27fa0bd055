#include "cluster/shared_login_limiter.hpp"

#include <algorithm>

#include "base/random.hpp"
#include "cluster/redis_call.hpp"

namespace cluster {

namespace {

// Long enough for a Redis round trip on a busy network, short enough that a login never waits
// noticeably when Redis is away.
constexpr std::chrono::milliseconds kTimeout{250};

// KEYS: pair, username, address. ARGV: now and window (ms), the limits of pair, username and
// address. Returns how many ms until an attempt may succeed, or -1 when it may now. The same
// rules as auth::LoginLimiter::refused: failures older than the window are dropped; a limit of
// N refuses while N failures remain; the username's limit only refuses addresses that failed.
constexpr const char* kRefusedScript = R"lua(
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = -1
local function failures(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  return redis.call('ZCARD', key)
end
local function consider(key, count, limit)
  if limit <= 0 or count < limit then return end
  local deciding = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  wait = math.max(wait, tonumber(deciding[2]) + window - now)
end
local pair = failures(KEYS[1])
consider(KEYS[1], pair, tonumber(ARGV[3]))
consider(KEYS[3], failures(KEYS[3]), tonumber(ARGV[5]))
if pair > 0 then consider(KEYS[2], failures(KEYS[2]), tonumber(ARGV[4])) end
return wait
)lua";

// KEYS as above. ARGV: now and window (ms), a unique member, the three limits. Keeps at most
// limit + 1 failures per key (older ones can never decide), and lets idle keys expire.
constexpr const char* kFailureScript = R"lua(
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local function add(key, limit)
  if limit <= 0 then return end
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local extra = redis.call('ZCARD', key) - (limit + 1)
  if extra > 0 then redis.call('ZREMRANGEBYRANK', key, 0, extra - 1) end
  redis.call('PEXPIRE', key, window)
end
add(KEYS[1], math.max(tonumber(ARGV[4]), 1))
add(KEYS[2], tonumber(ARGV[5]))
add(KEYS[3], tonumber(ARGV[6]))
return 1
)lua";

// Wall-clock time, not the caller's steady clock: the nodes compare each other's timestamps.
std::string now_ms() {
  using namespace std::chrono;
  return std::to_string(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

SharedLoginLimiter::SharedLoginLimiter(std::shared_ptr<redis::Client> client, std::string prefix,
                                       auth::LoginLimits limits)
    : LoginLimiter(limits), client_(std::move(client)), prefix_(std::move(prefix)) {}

std::vector<std::string> SharedLoginLimiter::keys(std::string_view username,
                                                  std::string_view address) const {
  const auto from = auth::address_key(address);
  const auto base = prefix_ + ":login:";
  // Usernames hold no NUL: the two parts of the pair cannot run into each other.
  std::string pair = base + "pair:";
  pair.append(username).push_back('\0');
  pair += from;
  return {std::move(pair), base + "user:" + std::string(username), base + "addr:" + from};
}

std::optional<std::chrono::seconds> SharedLoginLimiter::refused(std::string_view username,
                                                                std::string_view address,
                                                                Clock::time_point now) {
  const auto& l = limits();
  auto k = keys(username, address);
  auto reply = call_and_wait(
      *client_,
      {"EVAL", kRefusedScript, "3", k[0], k[1], k[2], now_ms(),
       std::to_string(std::chrono::milliseconds(l.window).count()),
       std::to_string(l.max_failures_per_pair), std::to_string(l.max_failures_per_username),
       std::to_string(l.max_failures_per_address)},
      kTimeout);
  if (!reply || reply->type != redis::Reply::Type::integer) {
    return LoginLimiter::refused(username, address, now);
  }
  if (reply->integer < 0) return std::nullopt;
  return std::max(
      std::chrono::ceil<std::chrono::seconds>(std::chrono::milliseconds(reply->integer)),
      std::chrono::seconds{1});
}

void SharedLoginLimiter::record_failure(std::string_view username, std::string_view address,
                                        Clock::time_point now) {
  // Counted here too, so that this node still knows if Redis goes away.
  LoginLimiter::record_failure(username, address, now);
  const auto& l = limits();
  auto k = keys(username, address);
  call_and_wait(
      *client_,
      {"EVAL", kFailureScript, "3", k[0], k[1], k[2], now_ms(),
       std::to_string(std::chrono::milliseconds(l.window).count()), base::random_hex(8),
       std::to_string(l.max_failures_per_pair), std::to_string(l.max_failures_per_username),
       std::to_string(l.max_failures_per_address)},
      kTimeout);
}

void SharedLoginLimiter::record_success(std::string_view username, std::string_view address) {
  LoginLimiter::record_success(username, address);
  call_and_wait(*client_, {"DEL", keys(username, address)[0]}, kTimeout);
}

}  // namespace cluster
