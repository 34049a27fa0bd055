// Connection state recovery in the library, with the in-memory store (MemorySessionStore): the
// CONNECT reply's pid, the offsets that broadcasts carry, and which lost sessions a client can
// resume, with its id, its rooms and what it missed in order. Clients are polling sessions
// driven by hand (socketio_harness.hpp).

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "socketio/memory_session_store.hpp"
#include "socketio_harness.hpp"

namespace {

using namespace std::chrono_literals;
using Packets = std::vector<std::string>;
namespace json = boost::json;

// What a CONNECT reply says.
struct Reply {
  std::string sid;
  std::string pid;
};

Reply reply_of(const std::string& packet) {
  if (!packet.starts_with("40")) return {};
  const auto body = json::parse(std::string_view(packet).substr(2)).as_object();
  Reply reply{std::string(body.at("sid").as_string()), ""};
  if (const auto* pid = body.if_contains("pid")) reply.pid = std::string(pid->as_string());
  return reply;
}

// The last argument of an event packet ("42[...]"), which is its offset when it is a string.
std::string offset_in(const std::string& packet) {
  const auto args = json::parse(std::string_view(packet).substr(2)).as_array();
  return args.back().is_string() ? std::string(args.back().as_string()) : "";
}

class SocketIoRecoveryTest : public harness::SocketIoHarness {
 protected:
  void SetUp() override { serve_with({}); }

  void serve_with(socketio::MemorySessionStore::Limits limits,
                  socketio::ServerOptions options = {}) {
    use_options(harness::slow_options(), options);
    auto& nsp = serve("/");
    nsp.enable_recovery(std::make_shared<socketio::MemorySessionStore>(limits));
  }

  socketio::Namespace& nsp() { return io().of("/"); }

  // A new session's CONNECT with `auth`, and the packets the server answers.
  std::pair<std::string, Packets> connect_with(const std::string& auth) {
    const auto sid = open_session();
    post_packets(sid, {"0" + auth});
    return {sid, receive(sid)};
  }

  // Connects, joins `room`, receives one broadcast to it and returns what a client keeps:
  // its session, its reply, and the offset of the event.
  struct Client {
    std::string engine_sid;
    Reply reply;
    std::string offset;
  };
  Client joined_client(const std::string& room) {
    auto [sid, answer] = connect_with("");
    Client client{sid, reply_of(answer.at(0)), ""};
    socket(client.reply.sid)->join(room);
    run_for(10ms);
    nsp().to(room).emit("news", {"first"});
    const auto event = receive(sid);
    client.offset = offset_in(event.at(0));
    return client;
  }
  static std::string resume_auth(const Client& client) {
    return json::serialize(json::object{{"pid", client.reply.pid}, {"offset", client.offset}});
  }
};

TEST_F(SocketIoRecoveryTest, TheConnectReplyCarriesAPrivateIdAndBroadcastsAnOffset) {
  auto [sid, answer] = connect_with("");
  ASSERT_EQ(answer.size(), 1u);
  const auto reply = reply_of(answer.front());
  EXPECT_FALSE(reply.sid.empty());
  EXPECT_EQ(reply.pid.size(), 20u);
  EXPECT_NE(reply.pid, reply.sid);

  nsp().emit("news", {"a"});
  nsp().emit("news", {"b"});
  const auto events = receive(sid);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].starts_with(R"(42["news","a",")")) << events[0];
  EXPECT_NE(offset_in(events[0]), offset_in(events[1]));
}

TEST_F(SocketIoRecoveryTest, VolatileBroadcastsAndDirectEmitsCarryNoOffset) {
  auto [sid, answer] = connect_with("");
  const auto reply = reply_of(answer.front());
  socket(reply.sid)->emit("direct", {"x"});
  EXPECT_EQ(receive(sid), Packets{R"(42["direct","x"])"});
}

TEST_F(SocketIoRecoveryTest, ALostSessionComesBackWithItsIdRoomsAndWhatItMissedInOrder) {
  const auto client = joined_client("r");
  post(client.engine_sid, "1");  // the transport closes: not the client's choice
  run_for(10ms);
  nsp().to("r").emit("news", {"missed 1"});
  nsp().to("elsewhere").emit("news", {"not for it"});
  nsp().to("r").emit("news", {"missed 2"});

  auto [sid, answer] = connect_with(resume_auth(client));
  ASSERT_GE(answer.size(), 3u) << ::testing::PrintToString(answer) << resume_auth(client);
  const auto reply = reply_of(answer[0]);
  EXPECT_EQ(reply.sid, client.reply.sid);
  EXPECT_EQ(reply.pid, client.reply.pid);
  EXPECT_TRUE(answer[1].starts_with(R"(42["news","missed 1",)")) << answer[1];
  EXPECT_TRUE(answer[2].starts_with(R"(42["news","missed 2",)")) << answer[2];
  EXPECT_EQ(answer.size(), 3u);
  const auto resumed = socket(reply.sid);
  ASSERT_NE(resumed, nullptr);
  EXPECT_TRUE(resumed->recovered());

  nsp().to("r").emit("news", {"live"});  // back in its room
  const auto live = receive(sid);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_TRUE(live[0].starts_with(R"(42["news","live",)"));
}

TEST_F(SocketIoRecoveryTest, ALiveCopyOfAReplayedBroadcastThatComesLaterIsNotSentAgain) {
  const auto client = joined_client("r");
  post(client.engine_sid, "1");
  run_for(10ms);
  nsp().to("r").emit("news", {"missed"});
  auto [sid, answer] = connect_with(resume_auth(client));
  ASSERT_EQ(answer.size(), 2u) << ::testing::PrintToString(answer);
  const auto replayed_offset = offset_in(answer[1]);

  // The same broadcast reaching this node again after the replay (e.g. from another node).
  nsp().to("r").offset(replayed_offset).emit("news", {"missed"});
  nsp().to("r").emit("news", {"new"});
  const auto live = receive(sid);
  ASSERT_EQ(live.size(), 1u) << ::testing::PrintToString(live);
  EXPECT_TRUE(live[0].starts_with(R"(42["news","new",)")) << live[0];
}

TEST_F(SocketIoRecoveryTest, ASessionIsResumedOnceOnly) {
  const auto client = joined_client("r");
  post(client.engine_sid, "1");
  run_for(10ms);
  ASSERT_EQ(reply_of(connect_with(resume_auth(client)).second.at(0)).sid, client.reply.sid);
  const auto again = reply_of(connect_with(resume_auth(client)).second.at(0));
  EXPECT_NE(again.sid, client.reply.sid);  // the first one holds it now
}

TEST_F(SocketIoRecoveryTest, AClientThatLeftOnPurposeGetsANewSession) {
  const auto client = joined_client("r");
  post_packets(client.engine_sid, {"1"});  // the client's socket.disconnect()
  run_for(10ms);
  const auto reply = reply_of(connect_with(resume_auth(client)).second.at(0));
  EXPECT_NE(reply.sid, client.reply.sid);
  EXPECT_NE(reply.pid, client.reply.pid);
  EXPECT_FALSE(socket(reply.sid)->recovered());
}

TEST_F(SocketIoRecoveryTest, AServerDisconnectIsNotResumed) {
  const auto client = joined_client("r");
  socket(client.reply.sid)->disconnect();
  run_for(10ms);
  EXPECT_NE(reply_of(connect_with(resume_auth(client)).second.at(0)).sid, client.reply.sid);
}

TEST_F(SocketIoRecoveryTest, AnUnknownOffsetOrPidOrNoOffsetGivesANewSession) {
  const auto client = joined_client("r");
  post(client.engine_sid, "1");
  run_for(10ms);
  for (const auto* auth : {R"({"pid":"nope","offset":"1"})", R"({"pid":7,"offset":"1"})"}) {
    EXPECT_NE(reply_of(connect_with(auth).second.at(0)).sid, client.reply.sid) << auth;
  }
  const auto unknown_offset =
      json::serialize(json::object{{"pid", client.reply.pid}, {"offset", "999999"}});
  EXPECT_NE(reply_of(connect_with(unknown_offset).second.at(0)).sid, client.reply.sid);
}

TEST_F(SocketIoRecoveryTest, AnExpiredSessionIsNotResumed) {
  serve_with({.max_disconnection = 30ms});
  const auto client = joined_client("r");
  post(client.engine_sid, "1");
  run_for(10ms);
  std::this_thread::sleep_for(40ms);
  EXPECT_NE(reply_of(connect_with(resume_auth(client)).second.at(0)).sid, client.reply.sid);
}

TEST_F(SocketIoRecoveryTest, TheStoreKeepsAtMostMaxPacketsSoAnOlderOffsetIsUnknown) {
  serve_with({.max_packets = 3});
  const auto client = joined_client("r");
  post(client.engine_sid, "1");
  run_for(10ms);
  for (int i = 0; i < 3; ++i) nsp().to("r").emit("news", {"pushes the first out"});
  EXPECT_NE(reply_of(connect_with(resume_auth(client)).second.at(0)).sid, client.reply.sid);
}

TEST_F(SocketIoRecoveryTest, MoreMissedThanAReplayMayHoldGivesANewSession) {
  serve_with({}, {.max_recovery_bytes = 200});
  const auto client = joined_client("r");
  post(client.engine_sid, "1");
  run_for(10ms);
  for (int i = 0; i < 10; ++i) nsp().to("r").emit("news", {std::string(50, 'x')});
  auto [sid, answer] = connect_with(resume_auth(client));
  const auto reply = reply_of(answer.at(0));
  EXPECT_NE(reply.sid, client.reply.sid);
  EXPECT_EQ(answer.size(), 1u);  // and none of the missed packets
  EXPECT_TRUE(socket(reply.sid)->rooms() == std::vector<std::string>{reply.sid});
}

TEST_F(SocketIoRecoveryTest, WithoutRecoveryTheReplyHasNoPidAndBroadcastsNoOffset) {
  use_options(harness::slow_options());
  serve("/");
  auto [sid, answer] = connect_with("");
  EXPECT_TRUE(reply_of(answer.at(0)).pid.empty());
  io().of("/").emit("news", {"a"});
  EXPECT_EQ(receive(sid), Packets{R"(42["news","a"])"});
}

}  // namespace
