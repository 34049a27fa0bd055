#include "cluster/redis_address_quota.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/assert.hpp>
#include <utility>

#include "net/log.hpp"

namespace cluster {

namespace {

// KEYS[1]: the address's hash. ARGV: this node's id, the limit, the node key prefix, the hash's
// lifetime and the node key's, in seconds. Counts of nodes whose key is gone are skipped, not
// deleted: a node whose key lapsed for a moment (Redis restarted) counts again once it is back.
// Asking also announces this node, so that its first sessions count at once.
constexpr const char* kAcquireScript = R"lua(
redis.call('SET', ARGV[3] .. ARGV[1], '1', 'EX', ARGV[5])
local total = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if redis.call('EXISTS', ARGV[3] .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
)lua";

// KEYS[1]: the address's hash. ARGV: this node's id. Never below zero: after a Redis restart
// the counts start again from nothing.
constexpr const char* kReleaseScript = R"lua(
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
)lua";

// An address's hash outlives its last change by this much: long sessions keep their count.
constexpr std::chrono::hours kAddressTtl{24};

// One handshake's wait for Redis: whichever of the reply and the timer comes first decides.
struct Pending {
  Pending(net::Strand strand, engineio::AddressQuota::Verdict done)
      : timer(strand), done(std::move(done)) {}
  boost::asio::steady_timer timer;  // on the quota's strand
  // Let go once called: what it holds (the session, the HTTP exchange) must not wait for a
  // reply that Redis may send much later, or never.
  engineio::AddressQuota::Verdict done;
  bool decided = false;  // on the quota's strand
};

}  // namespace

std::shared_ptr<RedisAddressQuota> RedisAddressQuota::create(net::Strand strand,
                                                             std::shared_ptr<redis::Client> client,
                                                             std::string prefix,
                                                             std::string node_id) {
  return std::shared_ptr<RedisAddressQuota>(new RedisAddressQuota(
      std::move(strand), std::move(client), std::move(prefix), std::move(node_id)));
}

RedisAddressQuota::RedisAddressQuota(net::Strand strand, std::shared_ptr<redis::Client> client,
                                     std::string prefix, std::string node_id)
    : strand_(std::move(strand)),
      client_(std::move(client)),
      prefix_(std::move(prefix)),
      node_id_(std::move(node_id)),
      announce_timer_(strand_) {}

void RedisAddressQuota::start() {
  boost::asio::dispatch(strand_, [self = shared_from_this()] { self->announce(); });
}

void RedisAddressQuota::stop() {
  boost::asio::dispatch(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->announce_timer_.cancel();
  });
}

void RedisAddressQuota::announce() {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (stopped_) return;
  client_->command(
      {"SET", prefix_ + ":node:" + node_id_, "1", "EX", std::to_string(kNodeTtl.count())},
      [](boost::system::error_code, redis::Reply) {});
  // Three announcements per lifetime: one lost one does not make the node look dead.
  announce_timer_.expires_after(kNodeTtl / 3);
  announce_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->announce();
  });
}

void RedisAddressQuota::acquire(const std::string& address, std::size_t limit, Verdict done) {
  auto pending = std::make_shared<Pending>(strand_, std::move(done));
  boost::asio::dispatch(strand_, [self = shared_from_this(), pending] {
    pending->timer.expires_after(kTimeout);
    pending->timer.async_wait([pending](boost::system::error_code ec) {
      if (ec || pending->decided) return;
      pending->decided = true;
      std::exchange(pending->done, nullptr)(true);  // Redis is slow: admit, uncounted
    });
  });
  client_->command(
      {"EVAL", kAcquireScript, "1", prefix_ + ":sessions:" + address, node_id_,
       std::to_string(limit), prefix_ + ":node:",
       std::to_string(std::chrono::seconds(kAddressTtl).count()), std::to_string(kNodeTtl.count())},
      [self = shared_from_this(), pending, address](boost::system::error_code ec,
                                                    redis::Reply reply) {
        // Replies run on the client's strand: move to ours, where `decided` lives.
        boost::asio::dispatch(self->strand_, [self, pending, address, ec, reply] {
          if (ec == redis::Error::server_error) {
            net::log_event(net::LogLevel::error, "redis_command_failed", {{"error", reply.text}});
          }
          const bool answered = !ec && reply.type == redis::Reply::Type::integer;
          const bool granted = answered && reply.integer == 1;
          if (pending->decided) {
            // Too late: the handshake went on uncounted, so the place is not ours to
            // keep.
            if (granted) {
              self->client_->command({"EVAL", kReleaseScript, "1",
                                      self->prefix_ + ":sessions:" + address, self->node_id_},
                                     [](boost::system::error_code, redis::Reply) {});
            }
            return;
          }
          pending->decided = true;
          pending->timer.cancel();
          if (granted) self->held_in_redis(address);
          std::exchange(pending->done, nullptr)(!answered || granted);
        });
      });
}

void RedisAddressQuota::held_in_redis(const std::string& address) {
  std::lock_guard lock(mutex_);
  ++held_[address];
}

void RedisAddressQuota::release(const std::string& address) {
  {
    std::lock_guard lock(mutex_);
    auto it = held_.find(address);
    if (it == held_.end()) return;  // admitted while Redis was away: never counted there
    if (--it->second == 0) held_.erase(it);
  }
  client_->command({"EVAL", kReleaseScript, "1", prefix_ + ":sessions:" + address, node_id_},
                   [](boost::system::error_code, redis::Reply) {});
}

}  // namespace cluster
