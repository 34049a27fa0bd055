// The state that the nodes of a cluster share through Redis, against a real redis-server of the
// test's own: two "nodes" in one process, each with its own Redis client.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <future>
#include <thread>

#include "cluster/redis_address_quota.hpp"
#include "cluster/redis_call.hpp"
#include "cluster/shared_login_limiter.hpp"
#include "io_thread.hpp"
#include "redis/client.hpp"
#include "redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = auth::LoginLimiter::Clock;

class ClusterTest : public ::testing::Test {
 protected:
  std::shared_ptr<redis::Client> connect(const std::string& name) {
    redis::ClientOptions options;
    options.endpoint = redis::parse_url(redis_.url());
    options.name = name;
    auto client = redis::Client::create(io_.strand(), options);
    client->start();
    clients_.push_back(client);
    EXPECT_TRUE(eventually([&] { return client->connected(); })) << name << " connects";
    return client;
  }
  void TearDown() override {
    for (auto& client : clients_) client->stop();
  }

  RedisServer redis_;
  IoThread io_;
  std::vector<std::shared_ptr<redis::Client>> clients_;
};

auth::LoginLimits limits() {
  return {.max_failures_per_pair = 5,
          .max_failures_per_username = 8,
          .max_failures_per_address = 6,
          .window = std::chrono::seconds(60)};
}

TEST_F(ClusterTest, LoginFailuresOnTwoNodesCountTogether) {
  cluster::SharedLoginLimiter one(connect("one"), "t", limits());
  cluster::SharedLoginLimiter two(connect("two"), "t", limits());
  const auto now = Clock::now();
  for (int i = 0; i < 3; ++i) one.record_failure("anna", "198.51.100.1", now);
  for (int i = 0; i < 2; ++i) two.record_failure("anna", "198.51.100.1", now);
  for (auto* node : {&one, &two}) {
    const auto wait = node->refused("anna", "198.51.100.1", now);
    ASSERT_TRUE(wait) << "5 failures of the pair over both nodes lock it on each";
    EXPECT_GE(*wait, 59s);
    EXPECT_LE(*wait, 60s);
    EXPECT_FALSE(node->refused("anna", "198.51.100.2", now)) << "another address is not refused";
  }
  // The address check: one more failure for someone else makes 6 from that address.
  two.record_failure("bruno", "198.51.100.1", now);
  EXPECT_TRUE(one.refused("carla", "198.51.100.1", now));
}

TEST_F(ClusterTest, ASuccessOnOneNodeForgetsThePairOnTheOther) {
  cluster::SharedLoginLimiter one(connect("one"), "t", limits());
  cluster::SharedLoginLimiter two(connect("two"), "t", limits());
  const auto now = Clock::now();
  for (int i = 0; i < 4; ++i) one.record_failure("anna", "198.51.100.1", now);
  two.record_success("anna", "198.51.100.1");
  one.record_failure("anna", "198.51.100.1", now);
  EXPECT_FALSE(two.refused("anna", "198.51.100.1", now)) << "only one failure since the success";
}

TEST_F(ClusterTest, TheUsernameLimitRefusesOnlyAddressesThatFailed) {
  cluster::SharedLoginLimiter one(connect("one"), "t", limits());
  cluster::SharedLoginLimiter two(connect("two"), "t", limits());
  const auto now = Clock::now();
  for (int i = 0; i < 8; ++i) {
    (i % 2 ? one : two).record_failure("anna", "203.0.113." + std::to_string(i), now);
  }
  EXPECT_TRUE(one.refused("anna", "203.0.113.0", now));
  EXPECT_FALSE(two.refused("anna", "203.0.113.200", now)) << "an address that never failed";
}

TEST_F(ClusterTest, WithoutRedisTheNodeCountsItsOwnFailures) {
  cluster::SharedLoginLimiter one(connect("one"), "t", limits());
  redis_.stop();
  const auto now = Clock::now();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) one.record_failure("anna", "198.51.100.1", now);
  EXPECT_TRUE(one.refused("anna", "198.51.100.1", now));
  EXPECT_FALSE(one.refused("anna", "198.51.100.2", now));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << "Redis away never makes logins hang";
}

// Asks the quota and waits for its verdict.
bool admitted(cluster::RedisAddressQuota& quota, const std::string& address, std::size_t limit) {
  auto verdict = std::make_shared<std::promise<bool>>();
  auto future = verdict->get_future();
  quota.acquire(address, limit, [verdict](bool ok) { verdict->set_value(ok); });
  EXPECT_EQ(future.wait_for(5s), std::future_status::ready);
  return future.get();
}

TEST_F(ClusterTest, SessionsOfOneAddressCountOverAllNodes) {
  auto one = cluster::RedisAddressQuota::create(io_.strand(), connect("one"), "t", "node-1");
  auto two = cluster::RedisAddressQuota::create(io_.strand(), connect("two"), "t", "node-2");
  one->start();
  two->start();
  EXPECT_TRUE(admitted(*one, "198.51.100.1", 2));
  EXPECT_TRUE(admitted(*two, "198.51.100.1", 2));
  EXPECT_FALSE(admitted(*one, "198.51.100.1", 2)) << "two sessions over both nodes is the limit";
  EXPECT_TRUE(admitted(*two, "198.51.100.2", 2)) << "other addresses are not affected";
  two->release("198.51.100.1");
  EXPECT_TRUE(eventually([&] { return admitted(*one, "198.51.100.1", 2); }))
      << "a released place can be taken on another node";
  one->stop();
  two->stop();
}

TEST_F(ClusterTest, TheSessionsOfANodeThatDiedStopCounting) {
  auto client = connect("admin");
  auto dead = cluster::RedisAddressQuota::create(io_.strand(), connect("dead"), "t", "node-dead");
  auto alive = cluster::RedisAddressQuota::create(io_.strand(), connect("alive"), "t", "node-ok");
  dead->start();
  alive->start();
  EXPECT_TRUE(admitted(*dead, "198.51.100.1", 1));
  EXPECT_FALSE(admitted(*alive, "198.51.100.1", 1));
  dead->stop();
  // What the node key's expiry does kNodeTtl after the node's last announcement.
  ASSERT_TRUE(eventually([&] {
    return cluster::call_and_wait(*client, {"DEL", "t:node:node-dead"}, 1s).has_value();
  }));
  EXPECT_TRUE(admitted(*alive, "198.51.100.1", 1));
  alive->stop();
}

TEST_F(ClusterTest, WithoutRedisHandshakesAreAdmittedAndNothingIsGivenBackLater) {
  auto quota = cluster::RedisAddressQuota::create(io_.strand(), connect("one"), "t", "node-1");
  quota->start();
  redis_.stop();
  EXPECT_TRUE(admitted(*quota, "198.51.100.1", 1));
  EXPECT_TRUE(admitted(*quota, "198.51.100.1", 1)) << "the local cap is the only one now";
  quota->release("198.51.100.1");  // never counted in Redis: nothing to give back
  quota->stop();
}

}  // namespace
