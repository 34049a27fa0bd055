// socketio::RedisAdapter through a real redis-server: node A serves polling clients, node B is a
// second adapter on the same namespace in this process (no clients of its own), and a raw
// redis::Client plays a Node.js node, publishing requests in @socket.io/redis-adapter's formats
// and reading the answers.

#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "redis/client.hpp"
#include "redis_server.hpp"
#include "socketio/cluster_message.hpp"
#include "socketio/msgpack_value.hpp"
#include "socketio/redis_adapter.hpp"
#include "socketio_harness.hpp"

namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using harness::ConnectedClient;
using socketio::RedisAdapter;

class RedisAdapterTest : public harness::SocketIoHarness {
 protected:
  void SetUp() override {
    auto& chat = serve("/chat");
    auto adapter = std::make_unique<RedisAdapter>(ioc_, endpoint(), "/chat", options());
    a_ = adapter.get();
    chat.set_adapter(std::move(adapter));
    auto other = std::make_unique<RedisAdapter>(ioc_, endpoint(), "/chat", options());
    b_ = other.get();
    other_.set_adapter(std::move(other));
    redis::ClientOptions options;
    options.endpoint = endpoint();
    peer_ = redis::Client::create(boost::asio::make_strand(ioc_), options);
    peer_->start();
    auto listen = options;
    listen.channels = {"socket.io-response#/chat#"};
    listen.patterns = {"socket.io#/chat#*"};
    listener_ = redis::Client::create(
        boost::asio::make_strand(ioc_), listen,
        [this](const redis::Message& m) { heard_.emplace_back(m.channel, m.payload); });
    listener_->start();
    ASSERT_TRUE(run_until([&] { return all_ready(); }));
  }
  void TearDown() override {
    peer_->stop();
    listener_->stop();
    SocketIoHarness::TearDown();
  }

  redis::Endpoint endpoint() const { return redis::parse_url(redis_.url()); }
  static socketio::RedisAdapterOptions options() {
    return {.key = "socket.io", .requests_timeout = 2s};
  }
  static socketio::BroadcastOptions select(std::vector<std::string> rooms,
                                           std::vector<std::string> except = {}) {
    socketio::BroadcastOptions options;
    options.rooms = std::move(rooms);
    options.except = std::move(except);
    return options;
  }
  bool all_ready() const {
    return a_->ready() && b_->ready() && peer_->connected() && listener_->connected();
  }

  // As a Node node would: PUBLISH on a channel of the namespace.
  void publish(const std::string& channel, std::string payload) {
    bool done = false;
    peer_->command({"PUBLISH", channel, std::move(payload)},
                   [&](boost::system::error_code, redis::Reply) { done = true; });
    ASSERT_TRUE(run_until([&] { return done; }));
  }
  void request(const json::object& body) {
    publish("socket.io-request#/chat#", json::serialize(body));
  }
  // The next message heard on the response channel (or a broadcast channel).
  std::pair<std::string, std::string> next_heard() {
    if (!run_until([&] { return !heard_.empty(); })) return {};
    auto first = heard_.front();
    heard_.erase(heard_.begin());
    return first;
  }
  json::value next_response() {
    auto [channel, payload] = next_heard();
    EXPECT_EQ(channel, "socket.io-response#/chat#");
    if (payload.starts_with('{')) return json::parse(payload);
    auto decoded = socketio::msgpack::decode(payload);
    return decoded ? decoded->json : json::value();
  }
  // Of the answers of A and B to one request, the one whose `key` is not an empty list.
  json::value answer_with(const char* key) {
    json::value found;
    for (int i = 0; i < 2; ++i) {
      auto answer = next_response();
      const auto* list = answer.is_object() ? answer.get_object().if_contains(key) : nullptr;
      if (list && list->is_array() && !list->get_array().empty()) found = answer;
    }
    return found;
  }
  ConnectedClient join(const std::string& room) {
    auto client = connect_client("/chat");
    client.socket->join(room);
    run_for(10ms);
    return client;
  }
  std::vector<std::string> fetch(socketio::Adapter& adapter, socketio::BroadcastOptions options) {
    std::optional<std::vector<std::string>> ids;
    adapter.fetch_socket_ids(options, [&](std::vector<std::string> found) { ids = found; });
    EXPECT_TRUE(run_until([&] { return ids.has_value(); }));
    return ids.value_or(std::vector<std::string>{});
  }

  RedisServer redis_;
  RedisAdapter* a_ = nullptr;
  RedisAdapter* b_ = nullptr;
  socketio::Namespace other_{"/chat"};  // node B
  std::shared_ptr<redis::Client> peer_;
  std::shared_ptr<redis::Client> listener_;
  std::vector<std::pair<std::string, std::string>> heard_;
};

TEST_F(RedisAdapterTest, ABroadcastOfAnotherNodeReachesTheRoomOnceAndNoOneElse) {
  auto member = join("r");
  auto outsider = join("elsewhere");
  other_.to("r").emit("news", {"hi"});
  EXPECT_EQ(receive(member.sid), std::vector<std::string>{R"(42/chat,["news","hi"])"});
  run_for(200ms);
  EXPECT_TRUE(received_now(member.sid).empty());
  EXPECT_TRUE(received_now(outsider.sid).empty());
  // Published once, on the room's channel, by B.
  auto [channel, payload] = next_heard();
  EXPECT_EQ(channel, "socket.io#/chat#r#");
  auto message = socketio::cluster::decode_broadcast(payload);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->uid, b_->uid());
}

TEST_F(RedisAdapterTest, ExceptVolatileAndSeveralRoomsCrossNodes) {
  auto in_both = join("x");
  in_both.socket->join("y");
  auto excluded = join("x");
  excluded.socket->join("muted");
  run_for(10ms);
  other_.to("x").to("y").except("muted").emit("news", {1});
  EXPECT_EQ(receive(in_both.sid), std::vector<std::string>{R"(42/chat,["news",1])"});
  run_for(200ms);
  EXPECT_TRUE(received_now(in_both.sid).empty());
  EXPECT_TRUE(received_now(excluded.sid).empty());
  EXPECT_EQ(next_heard().first, "socket.io#/chat#");  // several rooms: the namespace channel
}

TEST_F(RedisAdapterTest, ALocalBroadcastIsNotPublished) {
  auto member = join("r");
  io().of("/chat").to("r").local().emit("mine");
  EXPECT_EQ(receive(member.sid), std::vector<std::string>{R"(42/chat,["mine"])"});
  run_for(200ms);
  EXPECT_TRUE(heard_.empty());
}

TEST_F(RedisAdapterTest, NodesOwnMessagesAreNotDeliveredTwice) {
  auto member = join("r");
  io().of("/chat").to("r").emit("once");
  EXPECT_EQ(receive(member.sid), std::vector<std::string>{R"(42/chat,["once"])"});
  run_for(300ms);
  EXPECT_TRUE(received_now(member.sid).empty());
}

TEST_F(RedisAdapterTest, FetchSocketIdsAsksTheOtherNodes) {
  auto member = join("r");
  auto other = join("s");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(fetch(*b_, select({"r"})), std::vector<std::string>{member.socket->id()});
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  auto everyone = fetch(*b_, select({}));
  std::sort(everyone.begin(), everyone.end());
  auto expected = std::vector<std::string>{member.socket->id(), other.socket->id()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(everyone, expected);
  // With except (REMOTE_FETCH, since SOCKETS has no except).
  EXPECT_EQ(fetch(*b_, select({}, {"r"})), std::vector<std::string>{other.socket->id()});
  // Local only.
  auto local = select({});
  local.flags.local = true;
  EXPECT_TRUE(fetch(*b_, local).empty());
}

TEST_F(RedisAdapterTest, AnswersSocketsAllRoomsAndFetchAsNodeAsks) {
  auto member = join("r");
  // Both A and B answer; B has no sockets and no rooms.
  request({{"uid", "node"}, {"requestId", "q1"}, {"type", 0}, {"rooms", json::array{"r"}}});
  EXPECT_EQ(answer_with("sockets"),
            json::parse(R"({"requestId":"q1","sockets":[")" + member.socket->id() + R"("]})"));
  request({{"uid", "node"}, {"requestId", "q2"}, {"type", 1}});
  auto rooms = answer_with("rooms");
  EXPECT_EQ(rooms.at("requestId"), "q2");
  EXPECT_EQ(rooms.at("rooms").as_array().size(), 2u);  // "r" and the socket's own room

  request({{"uid", "node"},
           {"requestId", "q3"},
           {"type", 5},
           {"opts", {{"rooms", json::array{"r"}}, {"except", json::array{}}}}});
  auto fetched = answer_with("sockets");
  ASSERT_EQ(fetched.at("sockets").as_array().size(), 1u);
  const auto& socket = fetched.at("sockets").at(0);
  EXPECT_EQ(socket.at("id"), json::value(member.socket->id()));
  EXPECT_EQ(socket.at("rooms").as_array().size(), 2u);
  EXPECT_TRUE(socket.at("handshake").at("headers").is_object());
  EXPECT_EQ(socket.at("handshake").at("query").at("EIO"), "4");
  EXPECT_TRUE(socket.at("data").is_object());
}

TEST_F(RedisAdapterTest, RemoteJoinLeaveAndDisconnectActOnThisNodesSockets) {
  auto member = join("r");
  auto other = join("s");
  const json::object opts{{"rooms", json::array{"r"}}, {"except", json::array{}}};
  request({{"uid", "node"}, {"type", 2}, {"opts", opts}, {"rooms", json::array{"joined"}}});
  ASSERT_TRUE(run_until([&] { return member.socket->rooms().size() == 3; }));
  EXPECT_EQ(other.socket->rooms().size(), 2u);
  request({{"uid", "node"}, {"type", 3}, {"opts", opts}, {"rooms", json::array{"r"}}});
  ASSERT_TRUE(run_until([&] { return member.socket->rooms().size() == 2; }));

  // The sid form answers.
  request({{"uid", "node"},
           {"requestId", "j1"},
           {"type", 2},
           {"sid", other.socket->id()},
           {"room", "solo"}});
  EXPECT_EQ(next_response(), json::parse(R"({"requestId":"j1"})"));
  EXPECT_EQ(other.socket->rooms().size(), 3u);

  request({{"uid", "node"},
           {"type", 4},
           {"opts", {{"rooms", json::array{"joined"}}, {"except", json::array{}}}},
           {"close", false}});
  EXPECT_EQ(receive(member.sid), std::vector<std::string>{"41/chat,"});
  EXPECT_FALSE(member.socket->connected());
  EXPECT_TRUE(other.socket->connected());
}

TEST_F(RedisAdapterTest, ServerSideEmitIsAnsweredSoTheSenderDoesNotWait) {
  request({{"uid", "node"}, {"requestId", "e1"}, {"type", 6}, {"data", json::array{"hello"}}});
  EXPECT_EQ(next_response(), json::parse(R"({"type":6,"requestId":"e1","data":null})"));
  EXPECT_EQ(next_response(), json::parse(R"({"type":6,"requestId":"e1","data":null})"));  // B

  std::vector<json::array> got;
  a_->on_server_side_emit([&](json::array args, std::function<void(json::value)> reply) {
    got.push_back(args);
    if (reply) reply("ok from a");
  });
  request({{"uid", "node"}, {"type", 6}, {"data", json::array{"no ack"}}});
  request({{"uid", "node"}, {"requestId", "e2"}, {"type", 6}, {"data", json::array{"x", 1}}});
  std::vector<json::value> answers{next_response(), next_response()};
  EXPECT_NE(std::find(answers.begin(), answers.end(),
                      json::parse(R"({"type":6,"requestId":"e2","data":"ok from a"})")),
            answers.end());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (json::array{"no ack"}));
  EXPECT_EQ(got[1], (json::array{"x", 1}));
}

TEST_F(RedisAdapterTest, ABroadcastWithAcksCountsTheClientsAndHandsOnTheirAcks) {
  auto member = join("r");
  const json::object body{
      {"uid", "node"},
      {"requestId", "b1"},
      {"type", 7},
      {"packet", {{"type", 2}, {"data", json::array{"question", 1}}, {"nsp", "/chat"}}},
      {"opts",
       {{"rooms", json::array{"r"}}, {"except", json::array{}}, {"flags", {{"timeout", 1000}}}}}};
  std::string bytes;
  socketio::msgpack::encode(body, {}, bytes);
  publish("socket.io-request#/chat#", bytes);
  std::vector<json::value> counts{next_response(), next_response()};  // A and B
  EXPECT_NE(std::find(counts.begin(), counts.end(),
                      json::parse(R"({"type":8,"requestId":"b1","clientCount":1})")),
            counts.end());
  EXPECT_NE(std::find(counts.begin(), counts.end(),
                      json::parse(R"({"type":8,"requestId":"b1","clientCount":0})")),
            counts.end());
  EXPECT_EQ(receive(member.sid), std::vector<std::string>{R"(42/chat,0["question",1])"});
  post_packets(member.sid, {R"(3/chat,0["yes",2])"});
  auto [channel, ack] = next_heard();
  auto decoded = socketio::msgpack::decode(ack);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->json, json::parse(R"({"type":9,"requestId":"b1","packet":"yes"})"));
}

TEST_F(RedisAdapterTest, ABroadcastWithAcksOfNoEventIsAnsweredWithNoClientsAtOnce) {
  join("r");
  // An ack packet, not an event: nothing to deliver, but the sender must not wait for us.
  const json::object body{
      {"uid", "node"},
      {"requestId", "b2"},
      {"type", 7},
      {"packet", {{"type", 3}, {"data", json::array{"x"}}, {"nsp", "/chat"}, {"id", 4}}},
      {"opts",
       {{"rooms", json::array{"r"}}, {"except", json::array{}}, {"flags", {{"timeout", 1000}}}}}};
  std::string bytes;
  socketio::msgpack::encode(body, {}, bytes);
  publish("socket.io-request#/chat#", bytes);
  const auto none = json::parse(R"({"type":8,"requestId":"b2","clientCount":0})");
  EXPECT_EQ(next_response(), none) << "node A";
  EXPECT_EQ(next_response(), none) << "node B";
}

TEST_F(RedisAdapterTest, WhileRedisIsDownLocalDeliveryGoesOnAndPublishesAreCounted) {
  auto member = join("r");
  redis_.stop();
  ASSERT_TRUE(run_until([&] { return !a_->ready() && !b_->ready(); }));
  const auto failures = a_->publish_failures();
  io().of("/chat").to("r").emit("still here");
  EXPECT_EQ(receive(member.sid), std::vector<std::string>{R"(42/chat,["still here"])"});
  ASSERT_TRUE(run_until([&] { return a_->publish_failures() == failures + 1; }));
  // fetch_socket_ids answers with this node's sockets at once.
  EXPECT_EQ(fetch(*a_, select({"r"})), std::vector<std::string>{member.socket->id()});

  redis_.start();
  ASSERT_TRUE(run_until([&] { return all_ready(); }, 10s));
  other_.to("r").emit("back");
  EXPECT_EQ(receive(member.sid), std::vector<std::string>{R"(42/chat,["back"])"});
}

}  // namespace
