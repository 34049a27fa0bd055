// socketio::Server, Client, Namespace and Socket over Engine.IO polling sessions, without a
// network: the test posts a client's Socket.IO packets and collects what the server answers
// (socketio_harness.hpp).

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/send_status.hpp"
#include "socketio/disconnect_reason.hpp"
#include "socketio/event.hpp"
#include "socketio_harness.hpp"

namespace {

using namespace std::chrono_literals;
using harness::Clock;
using harness::ConnectedClient;
using socketio::ConnectError;
using socketio::DisconnectReason;
using socketio::Event;
using socketio::Namespace;
using socketio::Socket;
using Packets = std::vector<std::string>;

class SocketIoServerTest : public harness::SocketIoHarness {
 protected:
  // Records the disconnects of `socket` in disconnects_.
  void record_disconnects(Socket& socket) {
    socket.on_disconnect(
        [this](Socket& s, DisconnectReason reason) { disconnects_[s.id()].push_back(reason); });
  }
  // Serves `name` with every socket's disconnects recorded.
  Namespace& serve_recording(const std::string& name) {
    return serve(name, [this](Socket& socket) { record_disconnects(socket); });
  }
  std::vector<DisconnectReason> disconnects_of(const ConnectedClient& client) {
    return disconnects_[client.socket->id()];
  }

  // In the fixture, not in a test: disconnect handlers also run when TearDown ends the sessions.
  std::map<std::string, std::vector<DisconnectReason>> disconnects_;  // by socket id
};

std::string connect_answer(const std::string& nsp, const Socket& socket) {
  return "40" + (nsp == "/" ? "" : nsp + ",") + R"({"sid":")" + socket.id() + R"("})";
}

// ---------------------------------------------------------------------------------------------
// Connecting

TEST_F(SocketIoServerTest, ConnectToTheMainNamespaceAnswersTheSocketId) {
  int connections = 0;
  serve("/", [&](Socket&) { ++connections; });
  const auto sid = open_session();
  EXPECT_TRUE(harness::IsPayload(post_packets(sid, {"0"}), "ok"));

  const auto answer = receive(sid);
  ASSERT_EQ(answer.size(), 1u);
  const auto connected = socket(socket_id_of(answer.front()));
  ASSERT_NE(connected, nullptr) << answer.front();
  EXPECT_EQ(answer.front(), connect_answer("/", *connected));
  EXPECT_EQ(connected->id().size(), 20u);
  EXPECT_NE(connected->id(), sid) << "a socket has its own id, not the session's";
  EXPECT_TRUE(connected->connected());
  EXPECT_EQ(connections, 1);
  EXPECT_EQ(io().of("/").socket_count(), 1u);
}

TEST_F(SocketIoServerTest, MiddlewareSeesTheAuthPayloadThatHandlersNoLongerSee) {
  std::string auth_in_middleware;
  bool auth_in_handler = true;
  serve("/admin", [&](Socket& socket) {
    auth_in_handler = !socket.auth().is_null();
  }).use([&](Socket& socket, Namespace::Next next) {
    auth_in_middleware = boost::json::serialize(socket.auth());
    next(std::nullopt);
  });
  const auto sid = open_session();
  post_packets(sid, {R"(0/admin,{"token":"t1"})"});

  const auto answer = receive(sid);
  ASSERT_EQ(answer.size(), 1u);
  const auto connected = socket(socket_id_of(answer.front()));
  ASSERT_NE(connected, nullptr) << answer.front();
  EXPECT_EQ(answer.front(), connect_answer("/admin", *connected));
  EXPECT_EQ(auth_in_middleware, R"({"token":"t1"})");
  EXPECT_FALSE(auth_in_handler) << "the auth payload is released once the middleware has run";
}

TEST_F(SocketIoServerTest, ConnectToAnUnknownNamespaceIsRefusedAndTheSessionStays) {
  serve("/known");
  const auto sid = open_session();
  post_packets(sid, {"0/unknown,", "0"});  // "/" exists only when served
  EXPECT_EQ(receive(sid), (Packets{R"(44/unknown,{"message":"Invalid namespace"})",
                                   R"(44{"message":"Invalid namespace"})"}));
  EXPECT_EQ(server().session_count(), 1u);

  post_packets(sid, {"0/known,"});
  const auto answer = receive(sid);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_TRUE(answer.front().starts_with("40/known,{\"sid\":")) << answer.front();
}

TEST_F(SocketIoServerTest, MiddlewareRunsInOrderAndTheFirstRefusalReachesTheClient) {
  std::vector<std::string> ran;
  bool handler_ran = false;
  auto& nsp = serve("/ns", [&](Socket&) { handler_ran = true; });
  nsp.use([&](Socket&, Namespace::Next next) {
    ran.push_back("first");
    next(std::nullopt);
  });
  nsp.use([&](Socket&, Namespace::Next next) {
    ran.push_back("second");
    next(ConnectError{"forbidden", boost::json::object{{"code", "E_ROLE"}}});
  });
  nsp.use([&](Socket&, Namespace::Next next) {
    ran.push_back("third");
    next(std::nullopt);
  });
  const auto sid = open_session();
  post_packets(sid, {"0/ns,"});

  EXPECT_EQ(receive(sid), Packets{R"(44/ns,{"message":"forbidden","data":{"code":"E_ROLE"}})"});
  EXPECT_EQ(ran, (std::vector<std::string>{"first", "second"}));
  EXPECT_FALSE(handler_ran);
  EXPECT_EQ(io().of("/ns").socket_count(), 0u);
  EXPECT_EQ(server().session_count(), 1u) << "a refusal ends the socket, not the session";
}

TEST_F(SocketIoServerTest, ARefusalWithoutDataSendsOnlyTheMessage) {
  serve("/").use([](Socket&, Namespace::Next next) { next(ConnectError{"unauthorized", {}}); });
  const auto sid = open_session();
  post_packets(sid, {"0"});
  EXPECT_EQ(receive(sid), Packets{R"(44{"message":"unauthorized"})"});
}

TEST_F(SocketIoServerTest, MiddlewareMayLetTheSocketInLaterFromAnotherThread) {
  Namespace::Next held;
  bool handler_on_strand = false;
  serve("/", [&](Socket& socket) {
    handler_on_strand = socket.executor().running_in_this_thread();
  }).use([&](Socket&, Namespace::Next next) { held = std::move(next); });
  const auto sid = open_session();
  post_packets(sid, {"0"});
  ASSERT_TRUE(held);
  EXPECT_TRUE(received_now(sid).empty()) << "no answer while the middleware decides";
  EXPECT_EQ(io().of("/").socket_count(), 0u);

  std::thread elsewhere([&] { held(std::nullopt); });
  elsewhere.join();
  const auto answer = receive(sid);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_FALSE(socket_id_of(answer.front()).empty()) << answer.front();
  EXPECT_TRUE(handler_on_strand) << "the connection handler runs on the session's strand";
  EXPECT_EQ(io().of("/").socket_count(), 1u);
}

struct User {
  std::string name;
};

TEST_F(SocketIoServerTest, MiddlewareLeavesExtensionsForTheHandlers) {
  std::string seen_user;
  serve("/", [&](Socket& socket) {
    const auto* user = socket.extensions.get<User>();
    seen_user = user ? user->name : "<none>";
  }).use([](Socket& socket, Namespace::Next next) {
    socket.extensions.insert(User{std::string(socket.auth().at("user").as_string())});
    next(std::nullopt);
  });
  const auto sid = open_session();
  post_packets(sid, {R"(0{"user":"ada"})"});
  ASSERT_EQ(receive(sid).size(), 1u);
  EXPECT_EQ(seen_user, "ada");
}

TEST_F(SocketIoServerTest, ConnectTimeoutClosesASessionThatJoinsNoNamespace) {
  use_options(harness::slow_options(), socketio::ServerOptions{.connect_timeout = 50ms});
  serve("/");
  const auto start = Clock::now();
  const auto sid = open_session();
  EXPECT_EQ(receive(sid), Packets{"1"});
  EXPECT_GE(Clock::now() - start, 50ms);
  EXPECT_EQ(server().session_count(), 0u);
}

TEST_F(SocketIoServerTest, AConnectedSessionOutlivesTheConnectTimeout) {
  use_options(harness::slow_options(), socketio::ServerOptions{.connect_timeout = 30ms});
  serve("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  run_for(80ms);
  EXPECT_TRUE(received_now(client.sid).empty());
  EXPECT_EQ(server().session_count(), 1u);
  EXPECT_TRUE(client.socket->connected());
}

TEST_F(SocketIoServerTest, SocketCountFollowsEachNamespace) {
  serve("/");
  serve("/other");
  const auto a = connect_client();
  const auto b = connect_client();
  const auto c = connect_client("/other");
  ASSERT_TRUE(a.socket && b.socket && c.socket);
  EXPECT_EQ(io().of("/").socket_count(), 2u);
  EXPECT_EQ(io().of("/other").socket_count(), 1u);

  a.socket->disconnect();
  poll();
  EXPECT_EQ(io().of("/").socket_count(), 1u);
  EXPECT_EQ(io().of("/other").socket_count(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Events and acknowledgements

TEST_F(SocketIoServerTest, EventsReachTheirHandlerWithTheirArguments) {
  std::vector<std::string> seen;
  auto record = [&](Socket& socket, Event& event) {
    seen.push_back(socket.nsp().name() + " " + event.name() + " " +
                   boost::json::serialize(event.args()));
  };
  serve("/", [&](Socket& socket) { socket.on("greet", record); });
  serve("/ns", [&](Socket& socket) { socket.on("greet", record); });
  const auto main = connect_client();
  const auto other = connect_client("/ns");
  ASSERT_TRUE(main.socket && other.socket);

  post_packets(main.sid, {R"(2["greet",1,{"a":"b"}])", R"(2["unhandled",2])", R"(2["greet"])"});
  post_packets(other.sid, {R"(2/ns,["greet","x"])"});
  EXPECT_EQ(seen, (std::vector<std::string>{R"(/ greet [1,{"a":"b"}])", "/ greet []",
                                            R"(/ns greet ["x"])"}));
  EXPECT_TRUE(main.socket->connected()) << "an unhandled event is no error";
}

TEST_F(SocketIoServerTest, NamespaceHandlersServeEverySocketAfterItsOwn) {
  // Shared: the namespace's disconnect handler also runs when TearDown ends the first socket.
  auto seen = std::make_shared<std::vector<std::string>>();
  int connections = 0;
  auto& nsp = serve("/", [&connections, seen](Socket& socket) {
    if (++connections == 2) {
      socket.on("greet", [seen](Socket&, Event&) { seen->push_back("own"); });
      socket.on_disconnect([seen](Socket&, DisconnectReason) { seen->push_back("own gone"); });
    }
  });
  nsp.on("greet", [seen](Socket&, Event& event) {
    seen->push_back("shared " + boost::json::serialize(event.args()));
  });
  nsp.on_disconnect([seen](Socket&, DisconnectReason reason) {
    seen->push_back("shared gone " + std::string(socketio::to_string(reason)));
  });
  const auto first = connect_client();
  const auto second = connect_client();
  ASSERT_TRUE(first.socket && second.socket);

  post_packets(first.sid, {R"(2["greet",1])", R"(2["other"])"});
  post_packets(second.sid, {R"(2["greet",2])"});
  post_packets(second.sid, {"1"});
  EXPECT_EQ(*seen, (std::vector<std::string>{"shared [1]", "own", "own gone",
                                             "shared gone client namespace disconnect"}));
}

TEST_F(SocketIoServerTest, NamespaceDisconnectHandlersSkipSocketsItNeverLetIn) {
  int disconnects = 0;
  auto& nsp = serve("/");
  nsp.use([](Socket&, Namespace::Next next) { next(ConnectError{"no", nullptr}); });
  nsp.on_disconnect([&](Socket&, DisconnectReason) { ++disconnects; });
  const auto sid = open_session();
  post_packets(sid, {"0"});
  EXPECT_EQ(receive(sid).size(), 1u) << "the connect_error";
  post_packets(sid, {"1"});
  EXPECT_EQ(disconnects, 0);
}

TEST_F(SocketIoServerTest, AnEventForANamespaceNotJoinedIsIgnored) {
  int events = 0;
  serve("/", [&](Socket& socket) { socket.on("e", [&](Socket&, Event&) { ++events; }); });
  serve("/ns", [&](Socket& socket) { socket.on("e", [&](Socket&, Event&) { ++events; }); });
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  post_packets(client.sid, {R"(2/ns,["e"])"});
  EXPECT_EQ(events, 0);
  EXPECT_EQ(server().session_count(), 1u);
}

TEST_F(SocketIoServerTest, BinaryAttachmentsReachTheHandler) {
  std::vector<std::string> attachments;
  std::optional<std::size_t> placeholder;
  serve("/", [&](Socket& socket) {
    socket.on("upload", [&](Socket&, Event& event) {
      attachments = event.attachments();
      placeholder = socketio::placeholder_index(event.arg(0));
    });
  });
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  // The attachment travels as its own Engine.IO binary packet, base64 on polling ("AQID").
  post(client.sid, harness::join({R"(451-["upload",{"_placeholder":true,"num":0}])", "bAQID"}));
  EXPECT_EQ(attachments, std::vector<std::string>{std::string("\x01\x02\x03", 3)});
  EXPECT_EQ(placeholder, 0u);
}

TEST_F(SocketIoServerTest, AClientAckRequestIsAnsweredWithTheHandlersAck) {
  auto sum = [](Socket&, Event& event) {
    ASSERT_TRUE(event.wants_ack());
    event.ack({*event.arg_as<int>(0) + *event.arg_as<int>(1)});
    event.ack({0});  // only the first answer counts
  };
  serve("/", [&](Socket& socket) { socket.on("sum", sum); });
  serve("/ns", [&](Socket& socket) { socket.on("sum", sum); });
  const auto main = connect_client();
  const auto other = connect_client("/ns");
  ASSERT_TRUE(main.socket && other.socket);

  post_packets(main.sid, {R"(21["sum",2,3])"});
  EXPECT_EQ(receive(main.sid), Packets{"431[5]"});
  post_packets(other.sid, {R"(2/ns,17["sum",4,5])"});
  EXPECT_EQ(receive(other.sid), Packets{"43/ns,17[9]"});
}

TEST_F(SocketIoServerTest, EmitWithAckDeliversTheClientsAnswerOnce) {
  serve("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  std::vector<socketio::AckResult> results;
  client.socket->emit_with_ack("ask", {1}, 10s,
                               [&](socketio::AckResult result) { results.push_back(result); });
  EXPECT_EQ(receive(client.sid), Packets{R"(420["ask",1])"});

  post_packets(client.sid, {R"(37["wrong id"])"});
  EXPECT_TRUE(results.empty()) << "an answer to no question is ignored";
  post_packets(client.sid, {R"(30["yes",2])", R"(30["again"])"});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results.front().timed_out);
  EXPECT_EQ(boost::json::serialize(results.front().args), R"(["yes",2])");
}

TEST_F(SocketIoServerTest, EmitWithAckTimesOutWhenTheClientDoesNotAnswer) {
  serve("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  std::vector<socketio::AckResult> results;
  const auto start = Clock::now();
  client.socket->emit_with_ack("ask", {}, 40ms,
                               [&](socketio::AckResult result) { results.push_back(result); });
  ASSERT_TRUE(run_until([&] { return !results.empty(); }));
  EXPECT_GE(Clock::now() - start, 40ms);
  EXPECT_TRUE(results.front().timed_out);
  EXPECT_TRUE(results.front().args.empty());

  post_packets(client.sid, {R"(30["late"])"});
  EXPECT_EQ(results.size(), 1u) << "a late answer is ignored";
}

TEST_F(SocketIoServerTest, EmitWithAckOnADisconnectedSocketTimesOutAtOnce) {
  serve("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  client.socket->disconnect();
  poll();
  std::vector<socketio::AckResult> results;
  client.socket->emit_with_ack("ask", {}, 10s,
                               [&](socketio::AckResult result) { results.push_back(result); });
  poll();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results.front().timed_out);
}

// ---------------------------------------------------------------------------------------------
// Rooms and broadcasts

std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

TEST_F(SocketIoServerTest, JoinAndLeaveChangeTheRoomsOfASocket) {
  serve("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  const auto& id = client.socket->id();
  EXPECT_EQ(client.socket->rooms(), std::vector<std::string>{id}) << "its own room only";

  client.socket->join("a");
  client.socket->join("b");
  client.socket->join("a");  // twice is once
  poll();
  EXPECT_EQ(sorted(client.socket->rooms()), sorted({id, "a", "b"}));

  client.socket->leave("a");
  client.socket->leave("never joined");
  poll();
  EXPECT_EQ(sorted(client.socket->rooms()), sorted({id, "b"}));
}

// Three clients of "/": a in room r, b in r and s, c in none.
class SocketIoRoomsTest : public SocketIoServerTest {
 protected:
  void SetUp() override {
    serve("/");
    a = connect_client();
    b = connect_client();
    c = connect_client();
    ASSERT_TRUE(a.socket && b.socket && c.socket);
    a.socket->join("r");
    b.socket->join("r");
    b.socket->join("s");
    poll();
  }
  Namespace& nsp() { return io().of("/"); }

  ConnectedClient a, b, c;
};

TEST_F(SocketIoRoomsTest, ToARoomReachesOnlyItsMembers) {
  nsp().to("r").emit("news", {1});
  poll();
  EXPECT_EQ(received_now(a.sid), Packets{R"(42["news",1])"});
  EXPECT_EQ(received_now(b.sid), Packets{R"(42["news",1])"});
  EXPECT_TRUE(received_now(c.sid).empty());
}

TEST_F(SocketIoRoomsTest, TheNamespaceEmitReachesEveryone) {
  nsp().emit("all");
  poll();
  for (const auto* client : {&a, &b, &c}) {
    EXPECT_EQ(received_now(client->sid), Packets{R"(42["all"])"});
  }
}

TEST_F(SocketIoRoomsTest, ExceptSkipsTheMembersOfThatRoom) {
  nsp().except("r").emit("outsiders");
  nsp().to("r").except("s").emit("r without s");
  poll();
  EXPECT_EQ(received_now(a.sid), Packets{R"(42["r without s"])"});
  EXPECT_TRUE(received_now(b.sid).empty());
  EXPECT_EQ(received_now(c.sid), Packets{R"(42["outsiders"])"});
}

TEST_F(SocketIoRoomsTest, ASocketInSeveralTargetRoomsGetsThePacketOnce) {
  nsp().to("r").to("s").emit("once");
  poll();
  EXPECT_EQ(received_now(a.sid), Packets{R"(42["once"])"});
  EXPECT_EQ(received_now(b.sid), Packets{R"(42["once"])"}) << "b is in both rooms";
  EXPECT_TRUE(received_now(c.sid).empty());
}

TEST_F(SocketIoRoomsTest, ASocketIdIsARoomOfItsOwn) {
  nsp().to(b.socket->id()).emit("direct");
  poll();
  EXPECT_TRUE(received_now(a.sid).empty());
  EXPECT_EQ(received_now(b.sid), Packets{R"(42["direct"])"});
}

TEST_F(SocketIoRoomsTest, AVolatileBroadcastReachesOnlyClientsThatAreListening) {
  EXPECT_TRUE(received_now(a.sid).empty());  // a now has a poll waiting; b has not
  nsp().to("r").make_volatile().emit("tick");
  poll();
  EXPECT_EQ(receive(a.sid), Packets{R"(42["tick"])"});
  EXPECT_TRUE(received_now(b.sid).empty()) << "dropped, not queued for later";
}

TEST_F(SocketIoRoomsTest, ADisconnectedSocketLeavesItsRooms) {
  b.socket->disconnect();
  poll();
  EXPECT_EQ(received_now(b.sid), Packets{"41"});
  EXPECT_TRUE(b.socket->rooms().empty());
  nsp().to("s").emit("to s");
  poll();
  EXPECT_TRUE(received_now(b.sid).empty());
}

// ---------------------------------------------------------------------------------------------
// Disconnecting

TEST_F(SocketIoServerTest, ServerDisconnectTellsTheClientAndKeepsTheSession) {
  int events = 0;
  serve("/ns", [&](Socket& socket) {
    record_disconnects(socket);
    socket.on("e", [&](Socket&, Event&) { ++events; });
  });
  const auto client = connect_client("/ns");
  ASSERT_NE(client.socket, nullptr);
  client.socket->disconnect();
  poll();
  EXPECT_EQ(received_now(client.sid), Packets{"41/ns,"});
  EXPECT_EQ(disconnects_of(client),
            std::vector<DisconnectReason>{DisconnectReason::server_namespace_disconnect});
  EXPECT_FALSE(client.socket->connected());
  EXPECT_EQ(io().of("/ns").socket_count(), 0u);
  EXPECT_EQ(server().session_count(), 1u);

  post_packets(client.sid, {R"(2/ns,["e"])"});
  EXPECT_EQ(events, 0) << "events of a disconnected socket are ignored";
  EXPECT_EQ(client.socket->emit("late"), net::SendStatus::dropped_closed);
  client.socket->disconnect();  // twice is harmless
  poll();
  EXPECT_EQ(disconnects_of(client).size(), 1u);

  post_packets(client.sid, {"0/ns,"});
  const auto again = receive(client.sid);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(socket_id_of(again.front()), "") << "the session may connect again";
  EXPECT_NE(socket_id_of(again.front()), client.socket->id());
}

TEST_F(SocketIoServerTest, ClientDisconnectEndsTheSocketButNotTheSession) {
  serve_recording("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  post_packets(client.sid, {"1"});
  EXPECT_EQ(disconnects_of(client),
            std::vector<DisconnectReason>{DisconnectReason::client_namespace_disconnect});
  EXPECT_TRUE(received_now(client.sid).empty()) << "nothing to answer";
  EXPECT_EQ(io().of("/").socket_count(), 0u);
  EXPECT_EQ(server().session_count(), 1u);
}

TEST_F(SocketIoServerTest, AMalformedPacketClosesOnlyItsSessionWithParseError) {
  serve_recording("/");
  const auto bad = connect_client();
  const auto good = connect_client();
  ASSERT_TRUE(bad.socket && good.socket);
  EXPECT_TRUE(received_now(bad.sid).empty());  // a poll waits for the close

  post(bad.sid, "4x");  // a message that is no Socket.IO packet
  EXPECT_EQ(receive(bad.sid), Packets{"1"});
  EXPECT_EQ(disconnects_of(bad), std::vector<DisconnectReason>{DisconnectReason::parse_error});
  EXPECT_TRUE(disconnects_[good.socket->id()].empty());
  EXPECT_TRUE(good.socket->connected());
  EXPECT_EQ(server().session_count(), 1u);
  EXPECT_EQ(io().of("/").socket_count(), 1u);
}

TEST_F(SocketIoServerTest, ConnectErrorFromAClientIsAProtocolError) {
  serve_recording("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  post_packets(client.sid, {R"(4{"message":"no"})"});
  EXPECT_EQ(receive(client.sid), Packets{"1"});
  EXPECT_EQ(disconnects_of(client), std::vector<DisconnectReason>{DisconnectReason::parse_error});
}

TEST_F(SocketIoServerTest, TheEndOfTheSessionReachesEverySocketOnIt) {
  serve_recording("/");
  serve_recording("/ns");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  post_packets(client.sid, {"0/ns,"});
  const auto answer = receive(client.sid);
  ASSERT_EQ(answer.size(), 1u);
  const auto second = socket(socket_id_of(answer.front()));
  ASSERT_NE(second, nullptr) << answer.front();

  post(client.sid, "1");  // the client closes its Engine.IO connection
  EXPECT_EQ(disconnects_of(client),
            std::vector<DisconnectReason>{DisconnectReason::transport_close});
  EXPECT_EQ(disconnects_[second->id()],
            std::vector<DisconnectReason>{DisconnectReason::transport_close});
  EXPECT_EQ(io().of("/").socket_count() + io().of("/ns").socket_count(), 0u);
}

TEST_F(SocketIoServerTest, APingTimeoutEndsTheSocketsWithPingTimeout) {
  use_options(harness::heartbeat_options(50ms, 30ms));
  serve_recording("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  EXPECT_EQ(receive(client.sid), Packets{"2"});  // the ping, never answered
  ASSERT_TRUE(run_until([&] { return !disconnects_of(client).empty(); }));
  EXPECT_EQ(disconnects_of(client), std::vector<DisconnectReason>{DisconnectReason::ping_timeout});
}

TEST_F(SocketIoServerTest, AServerShutdownEndsTheSocketsWithServerShuttingDown) {
  serve_recording("/");
  const auto client = connect_client();
  ASSERT_NE(client.socket, nullptr);
  server().close_all();
  poll();
  EXPECT_EQ(disconnects_of(client),
            std::vector<DisconnectReason>{DisconnectReason::server_shutting_down});
  EXPECT_EQ(io().of("/").socket_count(), 0u);
}

// ---------------------------------------------------------------------------------------------
// The observer: what an application counts (reportd's metrics)

struct RecordingObserver : socketio::Observer {
  void connect_refused(socketio::ConnectRefusal refusal) override { refusals.push_back(refusal); }
  void packets_dropped(net::SendStatus why, std::size_t count) override { dropped[why] += count; }
  void broadcast_emitted(std::chrono::steady_clock::duration took) override {
    broadcasts.push_back(took);
  }
  std::vector<socketio::ConnectRefusal> refusals;
  std::map<net::SendStatus, std::size_t> dropped;
  std::vector<std::chrono::steady_clock::duration> broadcasts;
};

TEST_F(SocketIoServerTest, TheObserverHearsRefusedConnectsWithTheirReason) {
  RecordingObserver observer;
  serve("/open");
  serve("/closed").use([](Socket&, Namespace::Next next) { next(ConnectError{"no", {}}); });
  io().set_observer(observer);  // also reaches the namespaces made before
  const auto sid = open_session();
  post_packets(sid, {"0/unknown,", "0/closed,", "0/open,"});
  ASSERT_EQ(receive(sid).size(), 3u);
  EXPECT_EQ(observer.refusals,
            (std::vector<socketio::ConnectRefusal>{socketio::ConnectRefusal::invalid_namespace,
                                                   socketio::ConnectRefusal::middleware}));
}

TEST_F(SocketIoRoomsTest, TheObserverHearsEachBroadcastAndTheSocketsThatCouldNotTakeIt) {
  RecordingObserver observer;
  io().set_observer(observer);
  nsp().to("r").emit("news", {1});
  nsp().emit("all");
  EXPECT_EQ(observer.broadcasts.size(), 2u);
  // A binary broadcast cannot be volatile: it is dropped for each recipient, all its packets.
  nsp().to("r").make_volatile().emit("blob", {}, {std::string("\x01")});
  EXPECT_EQ(observer.dropped[net::SendStatus::dropped_not_ready], 4u) << "a and b, 2 packets each";
}

}  // namespace
