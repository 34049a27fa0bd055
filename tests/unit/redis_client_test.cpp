// redis::Client against a real redis-server of the test's own: commands and replies, the login
// (AUTH, SELECT), subscriptions, reconnection with resubscription after a restart, and the
// bound on reply sizes. Also redis::parse_url.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "io_thread.hpp"
#include "redis/client.hpp"
#include "redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using redis::Client;
using redis::Reply;

struct Answer {
  boost::system::error_code ec;
  Reply reply;
};

Answer run(Client& client, std::vector<std::string> args) {
  auto promise = std::make_shared<std::promise<Answer>>();
  auto future = promise->get_future();
  client.command(std::move(args), [promise](boost::system::error_code ec, Reply reply) {
    promise->set_value({ec, std::move(reply)});
  });
  if (future.wait_for(5s) != std::future_status::ready) return {redis::Error::timeout, {}};
  return future.get();
}

redis::ClientOptions options_for(const RedisServer& server) {
  redis::ClientOptions options;
  options.endpoint = redis::parse_url(server.url());
  options.min_backoff = 20ms;
  options.max_backoff = 100ms;
  return options;
}

class RedisClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<Client> connect(redis::ClientOptions options) {
    auto client = Client::create(io_.strand(), std::move(options));
    client->start();
    clients_.push_back(client);
    EXPECT_TRUE(eventually([&] { return client->connected(); }));
    return client;
  }
  void TearDown() override {
    for (auto& client : clients_) client->stop();
  }

  RedisServer server_;
  IoThread io_;
  std::vector<std::shared_ptr<Client>> clients_;
};

TEST(RedisUrl, ReadsEveryPart) {
  const auto endpoint = redis::parse_url("redis://user:s%40cret@cache.internal:6380/3");
  EXPECT_EQ(endpoint.host, "cache.internal");
  EXPECT_EQ(endpoint.port, 6380);
  EXPECT_EQ(endpoint.username, "user");
  EXPECT_EQ(endpoint.password, "s@cret");
  EXPECT_EQ(endpoint.db, 3u);

  const auto plain = redis::parse_url("redis://localhost");
  EXPECT_EQ(plain.port, 6379);
  EXPECT_EQ(plain.password, "");
  EXPECT_EQ(plain.db, 0u);
  EXPECT_EQ(redis::parse_url("redis://:pw@[::1]:7000").password, "pw");
  EXPECT_EQ(redis::parse_url("redis://:pw@[::1]:7000").host, "::1");
}

TEST(RedisUrl, RefusesWhatItCannotServe) {
  for (const char* url : {"rediss://localhost", "http://localhost", "redis://", "localhost:6379",
                          "redis://h:0", "redis://h:70000", "redis://h/x", "redis://h/1?a=b"}) {
    EXPECT_THROW(redis::parse_url(url), std::invalid_argument) << url;
  }
  try {
    redis::parse_url("rediss://localhost");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos);
  }
}

TEST_F(RedisClientTest, RepliesComeInOrder) {
  auto client = connect(options_for(server_));
  auto set = run(*client, {"SET", "k", std::string("v\0x\r\n", 5)});
  EXPECT_FALSE(set.ec);
  EXPECT_TRUE(set.reply.is("OK"));
  auto get = run(*client, {"GET", "k"});
  EXPECT_EQ(get.reply.text, std::string("v\0x\r\n", 5));
  EXPECT_EQ(run(*client, {"INCR", "n"}).reply.integer, 1);
  EXPECT_EQ(run(*client, {"GET", "missing"}).reply.type, Reply::Type::nil);
  auto error = run(*client, {"INCR", "k"});
  EXPECT_EQ(error.ec, redis::Error::server_error);
  EXPECT_TRUE(error.reply.is_error());
  EXPECT_EQ(run(*client, {"PING"}).reply.text, "PONG");  // still usable after an error reply
}

TEST_F(RedisClientTest, CommandsFailAtOnceWhenNotConnected) {
  auto options = options_for(server_);
  server_.stop();
  auto client = Client::create(io_.strand(), options);
  client->start();
  clients_.push_back(client);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(run(*client, {"PING"}).ec, redis::Error::not_connected);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_FALSE(client->connected());
  server_.start();
  EXPECT_TRUE(eventually([&] { return client->connected(); }));
  EXPECT_EQ(run(*client, {"PING"}).reply.text, "PONG");
}

TEST_F(RedisClientTest, LogsInWithAuthAndSelect) {
  auto admin = connect(options_for(server_));
  ASSERT_FALSE(run(*admin, {"CONFIG", "SET", "requirepass", "pw"}).ec);
  auto options = options_for(server_);
  options.endpoint =
      redis::parse_url("redis://:pw@127.0.0.1:" + std::to_string(server_.port()) + "/3");
  auto client = connect(options);
  ASSERT_FALSE(run(*client, {"SET", "in3", "yes"}).ec);
  options.endpoint.db = 0;
  auto other = connect(options);
  EXPECT_EQ(run(*other, {"GET", "in3"}).reply.type, Reply::Type::nil);

  options.endpoint.password = "wrong";
  auto refused = Client::create(io_.strand(), options);
  refused->start();
  clients_.push_back(refused);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(refused->connected());
  run(*client, {"CONFIG", "SET", "requirepass", ""});
}

TEST_F(RedisClientTest, SubscribesToChannelsAndPatternsAgainAfterARestart) {
  std::mutex mutex;
  std::vector<std::string> got;
  auto options = options_for(server_);
  options.channels = {"news"};
  options.patterns = {"room#*"};
  auto subscriber = Client::create(io_.strand(), options, [&](const redis::Message& m) {
    std::lock_guard lock(mutex);
    got.push_back(std::string(m.pattern) + "|" + std::string(m.channel) + "|" +
                  std::string(m.payload));
  });
  std::vector<bool> states;
  subscriber->start();
  clients_.push_back(subscriber);
  ASSERT_TRUE(eventually([&] { return subscriber->connected(); }));
  auto publisher = connect(options_for(server_));
  EXPECT_EQ(run(*publisher, {"PUBLISH", "news", "one"}).reply.integer, 1);
  EXPECT_EQ(run(*publisher, {"PUBLISH", "room#7", std::string("\x93\x00", 2)}).reply.integer, 1);
  EXPECT_EQ(run(*publisher, {"PUBLISH", "other", "x"}).reply.integer, 0);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return got.size() == 2;
  }));
  EXPECT_EQ(got[0], "|news|one");
  EXPECT_EQ(got[1], std::string("room#*|room#7|\x93\x00", 16));

  server_.stop();
  EXPECT_TRUE(eventually([&] { return !subscriber->connected() && !publisher->connected(); }));
  EXPECT_EQ(run(*publisher, {"PUBLISH", "news", "lost"}).ec, redis::Error::not_connected);
  server_.start();
  ASSERT_TRUE(eventually([&] { return subscriber->connected() && publisher->connected(); }));
  EXPECT_EQ(run(*publisher, {"PUBLISH", "news", "two"}).reply.integer, 1);
  EXPECT_EQ(run(*publisher, {"PUBLISH", "room#8", "three"}).reply.integer, 1);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return got.size() == 4;
  }));
  EXPECT_EQ(got[2], "|news|two");
  EXPECT_EQ(got[3], "room#*|room#8|three");
}

TEST_F(RedisClientTest, AReplyOverTheBoundDropsTheConnection) {
  auto writer = connect(options_for(server_));
  ASSERT_FALSE(run(*writer, {"SET", "big", std::string(64 * 1024, 'x')}).ec);
  auto options = options_for(server_);
  options.max_reply_bytes = 16 * 1024;
  auto reader = connect(options);
  EXPECT_EQ(run(*reader, {"GET", "big"}).ec, redis::Error::connection_lost);
  // It comes back, and small replies are fine.
  ASSERT_TRUE(eventually([&] { return reader->connected(); }));
  EXPECT_EQ(run(*reader, {"STRLEN", "big"}).reply.integer, 64 * 1024);
}

TEST_F(RedisClientTest, StopFailsWhatWaitsAndEndsForGood) {
  auto client = connect(options_for(server_));
  client->stop();
  EXPECT_TRUE(eventually([&] { return !client->connected(); }));
  EXPECT_EQ(run(*client, {"PING"}).ec, redis::Error::stopped);
}

}  // namespace
