// engineio::Server and engineio::Session over the polling transport, without a network, through
// the harness of engineio_harness.hpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/base64.hpp"
#include "engineio/hand_off_batch.hpp"
#include "engineio/packet.hpp"
#include "engineio/server.hpp"
#include "engineio/session.hpp"
#include "engineio_harness.hpp"
#include "net/http_handler.hpp"

namespace {

using namespace std::chrono_literals;
using engineio::Server;
using engineio::ServerOptions;
using engineio::Session;
using harness::Clock;
using harness::ExchangePtr;
using harness::FakeExchange;
using harness::heartbeat_options;
using harness::IsError;
using harness::IsPayload;
using harness::join;
using harness::kSep;
using harness::slow_options;

// What the layer above saw of one session.
struct Peer {
  std::shared_ptr<Session> session;
  std::vector<std::pair<std::string, bool>> messages;  // data, binary
  std::vector<std::string> close_reasons;
  Clock::time_point closed_at{};
  bool closed() const { return !close_reasons.empty(); }
};

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// Records what a session tells its listener in a Peer.
class PeerRecorder final : public engineio::SessionListener {
 public:
  explicit PeerRecorder(Peer& peer) : peer_(peer) {}
  void on_session_message(Session&, std::string&& data, bool binary) override {
    peer_.messages.emplace_back(std::move(data), binary);
  }
  void on_session_closed(Session&, engineio::CloseReason reason) override {
    peer_.close_reasons.emplace_back(engineio::to_string(reason));
    peer_.closed_at = Clock::now();
  }

 private:
  Peer& peer_;  // map nodes do not move
};

long long ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

class EngineServerTest : public ::testing::Test, public harness::PollingHarness {
 protected:
  EngineServerTest() { use_options(slow_options()); }

  // Replaces the server (call before opening any session). The default connection handler keeps
  // each session in peers_ and records its messages and close.
  void use_options(const ServerOptions& options) {
    replace_server(options);
    server_->on_connection([this](Session& session) {
      auto& peer = peers_[session.id()];
      peer.session = session.shared_from_this();
      session.listen(std::make_shared<PeerRecorder>(peer));
    });
  }

  // Opens a polling session that the connection handler has seen; returns its sid.
  std::string handshake() {
    auto sid = open_session();
    if (!sid.empty() && !peers_.contains(sid)) {
      ADD_FAILURE() << "connection handler did not run for " << sid;
    }
    return sid;
  }

  Peer& peer(const std::string& sid) { return peers_[sid]; }
  Session& session(const std::string& sid) { return *peers_.at(sid).session; }

  std::map<std::string, Peer> peers_;
};

// ---------------------------------------------------------------------------------------------
// Handshake

TEST_F(EngineServerTest, HandshakeAnswersOpenPacketWithTheOptions) {
  auto options = slow_options();
  options.ping_interval = 1234ms;
  options.ping_timeout = 567ms;
  options.max_payload = 4321;
  use_options(options);

  auto ex = send("GET", target("EIO=4&transport=polling"));
  ASSERT_TRUE(ex->answered());
  ASSERT_EQ(ex->responses.size(), 1u);
  EXPECT_EQ(ex->status(), 200u);
  EXPECT_EQ(ex->responses.front().content_type, "text/plain; charset=UTF-8");
  const std::string body = ex->body();
  ASSERT_TRUE(body.starts_with("0{")) << body;
  EXPECT_EQ(body.find(kSep), std::string::npos) << "only the open packet: " << body;

  const auto open = boost::json::parse(body.substr(1)).as_object();
  EXPECT_EQ(open.size(), 5u) << body;
  ASSERT_TRUE(open.contains("sid") && open.at("sid").is_string()) << body;
  const std::string sid(open.at("sid").as_string());
  EXPECT_EQ(sid.size(), 20u);
  EXPECT_EQ(open.at("upgrades"), boost::json::parse(R"(["websocket"])"));
  EXPECT_EQ(open.at("pingInterval"), boost::json::value(1234));
  EXPECT_EQ(open.at("pingTimeout"), boost::json::value(567));
  EXPECT_EQ(open.at("maxPayload"), boost::json::value(4321));

  EXPECT_EQ(server().session_count(), 1u);
  ASSERT_TRUE(peers_.contains(sid));
  EXPECT_EQ(session(sid).id(), sid);
  EXPECT_EQ(session(sid).transport(), Session::Transport::polling);
  EXPECT_EQ(server().max_body_bytes(make_request("POST", session_target(sid))), 4321u);
}

TEST_F(EngineServerTest, EachHandshakeOpensANewSession) {
  const auto a = handshake();
  const auto b = handshake();
  EXPECT_NE(a, b);
  EXPECT_EQ(server().session_count(), 2u);
}

TEST_F(EngineServerTest, ConnectionHandlerRunsBeforeTheHandshakeIsAnsweredAndInstallsHandlers) {
  auto exchange = std::make_shared<FakeExchange>();
  int announced = 0;
  bool answered_when_announced = true;
  std::string seen_target;
  server().on_connection([&](Session& session) {
    ++announced;
    answered_when_announced = exchange->answered();
    seen_target = session.request().target;
    EXPECT_EQ(session.request().remote_address, "192.0.2.7");
    session.listen(std::make_shared<PeerRecorder>(peers_[session.id()]));
  });

  server().handle(make_request("GET", target("EIO=4&transport=polling&t=abc")), exchange);
  poll();
  EXPECT_EQ(announced, 1);
  EXPECT_FALSE(answered_when_announced);
  EXPECT_EQ(seen_target, target("EIO=4&transport=polling&t=abc"));
  ASSERT_TRUE(exchange->answered());
  const auto sid =
      std::string(boost::json::parse(exchange->body().substr(1)).as_object().at("sid").as_string());

  EXPECT_TRUE(IsPayload(post(sid, "4hello"), "ok"));
  EXPECT_EQ(peer(sid).messages, (std::vector<std::pair<std::string, bool>>{{"hello", false}}));
  EXPECT_EQ(announced, 1) << "later requests do not announce the session again";
}

TEST_F(EngineServerTest, MessageSentFromTheConnectionHandlerFollowsTheOpenPacket) {
  server().on_connection([](Session& session) { session.send_text("welcome"); });
  auto ex = send("GET", target("EIO=4&transport=polling"));
  ASSERT_TRUE(ex->answered());
  const std::string body = ex->body();
  ASSERT_TRUE(body.starts_with("0{")) << body;
  EXPECT_TRUE(body.ends_with(std::string(1, kSep) + "4welcome")) << body;
}

// ---------------------------------------------------------------------------------------------
// Request filter

TEST_F(EngineServerTest, RequestFilterRefusalGives403WithItsMessageAndNoSession) {
  std::vector<std::string> filtered_targets;
  server().set_request_filter([&](const net::HttpRequest& request) -> std::optional<std::string> {
    filtered_targets.push_back(request.target);
    if (request.header("x-token") == "letmein") return std::nullopt;
    return std::string("token \"required\"");
  });

  auto refused = send("GET", target("EIO=4&transport=polling"));
  EXPECT_TRUE(IsError(refused, 403, 4, "token \"required\""));
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_TRUE(peers_.empty()) << "no session announced";

  auto request = make_request("GET", target("EIO=4&transport=polling"));
  request.headers.emplace_back("x-token", "letmein");
  auto accepted = send(std::move(request));
  ASSERT_TRUE(accepted->answered());
  EXPECT_EQ(accepted->status(), 200u);
  EXPECT_TRUE(accepted->body().starts_with("0{")) << accepted->body();
  EXPECT_EQ(server().session_count(), 1u);
  ASSERT_EQ(peers_.size(), 1u);
  EXPECT_EQ(filtered_targets.size(), 2u);

  // Requests of an open session are not filtered again.
  const std::string sid = peers_.begin()->first;
  EXPECT_TRUE(IsPayload(post(sid, "4x"), "ok"));
  EXPECT_EQ(filtered_targets.size(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Refused requests: every 400 code

struct BadRequestCase {
  const char* name;
  const char* method;
  const char* query;
  bool websocket_upgrade;
  int code;
  const char* message;
};

TEST_F(EngineServerTest, RefusesBadRequestsWith400AndTheProtocolCode) {
  const BadRequestCase cases[] = {
      {"unknown transport", "GET", "EIO=4&transport=flashsocket", false, 0, "Transport unknown"},
      {"missing transport", "GET", "EIO=4", false, 0, "Transport unknown"},
      {"unknown sid (GET)", "GET", "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", false, 1,
       "Session ID unknown"},
      {"unknown sid (POST)", "POST", "EIO=4&transport=polling&sid=nope", false, 1,
       "Session ID unknown"},
      {"handshake with POST", "POST", "EIO=4&transport=polling", false, 2, "Bad handshake method"},
      {"handshake with PUT", "PUT", "EIO=4&transport=polling", false, 2, "Bad handshake method"},
      {"websocket transport without upgrade", "GET", "EIO=4&transport=websocket", false, 3,
       "Bad request"},
      {"polling transport with upgrade", "GET", "EIO=4&transport=polling", true, 3, "Bad request"},
      {"protocol v3", "GET", "EIO=3&transport=polling", false, 5, "Unsupported protocol version"},
      {"protocol v5", "GET", "EIO=5&transport=polling", false, 5, "Unsupported protocol version"},
      {"no protocol version", "GET", "transport=polling", false, 5, "Unsupported protocol version"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto request =
        make_request(c.method, target(c.query), c.method == std::string("POST") ? "4x" : "");
    request.websocket_upgrade = c.websocket_upgrade;
    EXPECT_TRUE(IsError(send(std::move(request)), 400, c.code, c.message));
  }
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_TRUE(peers_.empty());
}

// As Node's engine.io with `transports: ["websocket"]` (or ["polling"]): the disabled transport
// is an unknown one, and a polling handshake offers no upgrade to a disabled WebSocket.
TEST_F(EngineServerTest, DisabledTransportIsRefusedAsUnknown) {
  auto options = slow_options();
  options.transports.polling = false;
  use_options(options);
  EXPECT_TRUE(IsError(send("GET", target("EIO=4&transport=polling")), 400, 0, "Transport unknown"));
  EXPECT_EQ(server().session_count(), 0u);

  options.transports = {.polling = true, .websocket = false};
  use_options(options);
  auto request = make_request("GET", target("EIO=4&transport=websocket"));
  request.websocket_upgrade = true;
  EXPECT_TRUE(IsError(send(std::move(request)), 400, 0, "Transport unknown"));
  auto ex = send("GET", target("EIO=4&transport=polling"));
  ASSERT_EQ(ex->status(), 200u);
  const auto open = boost::json::parse(ex->body().substr(1)).as_object();
  EXPECT_EQ(open.at("upgrades"), boost::json::parse("[]")) << ex->body();
}

TEST_F(EngineServerTest, UnsupportedMethodOnASessionIs400Code3AndKeepsTheSession) {
  const auto sid = handshake();
  EXPECT_TRUE(IsError(send("PUT", session_target(sid), "4x"), 400, 3));
  EXPECT_EQ(server().session_count(), 1u);
  EXPECT_FALSE(peer(sid).closed());
}

// ---------------------------------------------------------------------------------------------
// Client to server

TEST_F(EngineServerTest, PostDeliversEveryMessageInOrderAndAnswersOk) {
  const auto sid = handshake();
  const std::string binary = bytes({0x00, 0xff, 0x01, 0x1e});
  auto ex = post(
      sid, join({"4first", "4second", "b" + base::encode_base64(binary, base::Base64::standard),
                 "4", "4caf\xc3\xa9"}));
  EXPECT_TRUE(IsPayload(ex, "ok"));
  EXPECT_EQ(ex->responses.front().content_type, "text/plain; charset=UTF-8");
  const std::vector<std::pair<std::string, bool>> expected = {
      {"first", false}, {"second", false}, {binary, true}, {"", false}, {"caf\xc3\xa9", false}};
  EXPECT_EQ(peer(sid).messages, expected);

  EXPECT_TRUE(IsPayload(post(sid, "4third"), "ok"));
  ASSERT_EQ(peer(sid).messages.size(), 6u);
  EXPECT_EQ(peer(sid).messages.back(), std::make_pair(std::string("third"), false));
  EXPECT_EQ(server().session_count(), 1u);
}

TEST_F(EngineServerTest, NoopAndPongWithoutPingAreIgnored) {
  const auto sid = handshake();
  EXPECT_TRUE(IsPayload(post(sid, join({"6", "3", "4after"})), "ok"));
  EXPECT_EQ(peer(sid).messages, (std::vector<std::pair<std::string, bool>>{{"after", false}}));
  EXPECT_FALSE(peer(sid).closed());
}

// Engine.IO v4 heartbeats go server to client. Answering client pings would let a client that
// never polls queue a pong per ping (the issue's ping flood); the reference server closes.
TEST_F(EngineServerTest, ClientPingClosesTheSession) {
  const auto sid = handshake();
  EXPECT_TRUE(IsPayload(post(sid, "2hi"), "ok"));
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"transport error"});
  EXPECT_TRUE(IsError(get(sid), 400, 1, "Session ID unknown"));
  EXPECT_EQ(server().session_count(), 0u);
}

TEST_F(EngineServerTest, APingFloodNeverReachesTheQueue) {
  const auto sid = handshake();
  std::string flood = "2";
  for (int i = 0; i < 4000; ++i) flood += std::string(1, kSep) + "2";
  EXPECT_TRUE(IsPayload(post(sid, flood), "ok"));
  EXPECT_TRUE(peer(sid).closed());
}

TEST_F(EngineServerTest, APayloadWithTooManyPacketsIsRefusedAndClosesTheSession) {
  auto options = slow_options();
  options.max_packets_per_payload = 10;
  use_options(options);
  const auto sid = handshake();
  std::string ten = "4m";
  for (int i = 1; i < 10; ++i) ten += std::string(1, kSep) + "4m";
  EXPECT_TRUE(IsPayload(post(sid, ten), "ok"));
  EXPECT_EQ(peer(sid).messages.size(), 10u);
  EXPECT_TRUE(IsError(post(sid, ten + kSep + "4m"), 400, 3, "Too many packets in payload"));
  EXPECT_EQ(peer(sid).messages.size(), 10u) << "nothing of a refused payload is delivered";
  EXPECT_TRUE(peer(sid).closed());
}

TEST_F(EngineServerTest, QueuedPacketsCountTheirOverheadNotOnlyTheirBytes) {
  auto options = slow_options();
  options.max_buffered_bytes = 64 * 1024;
  use_options(options);
  const auto sid = handshake();
  // 64 KiB of one-byte packets would fit if only bytes counted; with the overhead they do not.
  for (int i = 0; i < 64 * 1024 && !peer(sid).closed(); ++i) session(sid).send_text("");
  poll();
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"send buffer overflow"});
}

TEST_F(EngineServerTest, SessionsKeepOnlyTheHeadersAskedFor) {
  auto request = make_request("GET", target("EIO=4&transport=polling"));
  request.headers = {
      {"authorization", "Bearer t"}, {"cookie", std::string(4000, 'c')}, {"user-agent", "x"}};
  auto ex = send(std::move(request));
  ASSERT_EQ(ex->status(), 200u);
  const auto sid =
      std::string(boost::json::parse(ex->body().substr(1)).as_object().at("sid").as_string());
  const auto& kept = session(sid).request().headers;
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.front().first, "authorization");
}

// ---------------------------------------------------------------------------------------------
// Server to client

TEST_F(EngineServerTest, GetLongPollsUntilSomethingIsSentThenGetsItAllInOneResponse) {
  const auto sid = handshake();
  auto poll_ex = get(sid);
  run_for(100ms);
  EXPECT_FALSE(poll_ex->answered()) << poll_ex->body();

  session(sid).send_text("one");
  session(sid).send_binary(bytes({1, 2, 3}));
  session(sid).send_text("two");
  ASSERT_TRUE(run_until([&] { return poll_ex->answered(); }));
  EXPECT_TRUE(IsPayload(poll_ex, join({"4one", "bAQID", "4two"})));

  // Nothing left: the next GET waits again.
  auto next = get(sid);
  run_for(50ms);
  EXPECT_FALSE(next->answered()) << next->body();
  session(sid).send_text("three");
  ASSERT_TRUE(run_until([&] { return next->answered(); }));
  EXPECT_TRUE(IsPayload(next, "4three"));
  EXPECT_EQ(poll_ex->responses.size(), 1u);
}

TEST_F(EngineServerTest, PacketsQueuedBetweenPollsAnswerTheNextGetAtOnce) {
  const auto sid = handshake();
  session(sid).send_text("a");
  session(sid).send_text("b");
  poll();
  auto ex = get(sid);
  EXPECT_TRUE(IsPayload(ex, join({"4a", "4b"})));
}

TEST_F(EngineServerTest, OneSharedPacketReachesTwoSessionsWithoutBeingCopied) {
  const auto a = handshake();
  const auto b = handshake();
  auto packet = engineio::encode_packet(engineio::PacketType::message, "to everyone");
  session(a).send(packet);
  session(b).send(packet);
  poll();
  // Queued in both sessions (no GET pending yet): two more owners of the same object.
  EXPECT_EQ(packet.use_count(), 3);

  auto ex_a = get(a);
  auto ex_b = get(b);
  EXPECT_TRUE(IsPayload(ex_a, "4to everyone"));
  EXPECT_TRUE(IsPayload(ex_b, "4to everyone"));
  EXPECT_EQ(packet.use_count(), 1) << "the sessions let go of it once it was sent";
  EXPECT_EQ(packet->bytes, "4to everyone");
}

TEST_F(EngineServerTest, OneSharedBinaryPacketReachesTwoPendingPolls) {
  const auto a = handshake();
  const auto b = handshake();
  auto ex_a = get(a);
  auto ex_b = get(b);
  auto packet = engineio::encode_binary_message(bytes({0xde, 0xad, 0xbe, 0xef}));
  session(a).send(packet);
  session(b).send(packet);
  ASSERT_TRUE(run_until([&] { return ex_a->answered() && ex_b->answered(); }));
  EXPECT_TRUE(IsPayload(ex_a, "b3q2+7w=="));
  EXPECT_EQ(ex_a->body(), ex_b->body());
}

// ---------------------------------------------------------------------------------------------
// Errors that end a session

TEST_F(EngineServerTest, SecondConcurrentGetIs400AndEndsTheSession) {
  const auto sid = handshake();
  auto first = get(sid);
  EXPECT_FALSE(first->answered());
  auto second = get(sid);
  EXPECT_TRUE(IsError(second, 400, 3));
  EXPECT_TRUE(IsPayload(first, "1"));
  EXPECT_EQ(server().session_count(), 0u);
  ASSERT_EQ(peer(sid).close_reasons.size(), 1u);
  EXPECT_FALSE(peer(sid).close_reasons.front().empty());
  EXPECT_TRUE(IsError(get(sid), 400, 1));
  EXPECT_TRUE(IsError(post(sid, "4x"), 400, 1));
}

TEST_F(EngineServerTest, MalformedPostIs400AndEndsTheSession) {
  const auto sid = handshake();
  auto pending = get(sid);
  auto ex = post(sid, "hello");
  EXPECT_TRUE(IsError(ex, 400, 3));
  EXPECT_TRUE(IsPayload(pending, "1"));
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"parse error"});
  EXPECT_TRUE(IsError(get(sid), 400, 1));
}

TEST_F(EngineServerTest, PayloadWithOneBadPacketIsRefusedWhole) {
  const std::string bad_bodies[] = {
      join({"4ok", ""}),             // empty record
      join({"4ok", "bnot base64"}),  // bad base64
      join({"4ok", "9"}),            // unknown type
      "",                            // empty body
  };
  for (const auto& body : bad_bodies) {
    SCOPED_TRACE(::testing::PrintToString(body));
    const auto sid = handshake();
    EXPECT_TRUE(IsError(post(sid, body), 400, 3));
    EXPECT_TRUE(peer(sid).messages.empty()) << "no packet of a refused body is delivered";
    EXPECT_TRUE(peer(sid).closed());
  }
  EXPECT_EQ(server().session_count(), 0u);
}

TEST_F(EngineServerTest, OpenOrUpgradePacketFromAClientEndsTheSession) {
  for (const char* body : {"0", "5"}) {
    SCOPED_TRACE(body);
    const auto sid = handshake();
    auto pending = get(sid);
    post(sid, body);
    EXPECT_TRUE(IsPayload(pending, "1"));
    EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"parse error"});
  }
  EXPECT_EQ(server().session_count(), 0u);
}

TEST_F(EngineServerTest, OversizedPostIs413AndEndsTheSession) {
  const auto sid = handshake();
  auto pending = get(sid);
  auto ex = std::make_shared<FakeExchange>();
  server().handle_oversized(make_request("POST", session_target(sid)), ex);
  poll();
  EXPECT_TRUE(IsError(ex, 413, 3));
  EXPECT_TRUE(IsPayload(pending, "1"));
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"payload too large"});
  EXPECT_TRUE(IsError(get(sid), 400, 1));
}

TEST_F(EngineServerTest, OversizedRequestWithoutASessionIs413) {
  const auto sid = handshake();
  for (const char* query : {"EIO=4&transport=polling", "EIO=4&transport=polling&sid=unknown"}) {
    SCOPED_TRACE(query);
    auto ex = std::make_shared<FakeExchange>();
    server().handle_oversized(make_request("POST", target(query)), ex);
    poll();
    EXPECT_TRUE(IsError(ex, 413, 3));
  }
  EXPECT_EQ(server().session_count(), 1u) << "other sessions are not affected";
  EXPECT_FALSE(peer(sid).closed());
}

// ---------------------------------------------------------------------------------------------
// Heartbeat

TEST_F(EngineServerTest, PendingGetReceivesPingAfterPingInterval) {
  use_options(heartbeat_options(50ms, 1000ms));
  const auto start = Clock::now();
  const auto sid = handshake();
  auto ex = get(sid);
  ASSERT_TRUE(run_until([&] { return ex->answered(); }));
  const auto elapsed = ms_between(start, Clock::now());
  EXPECT_TRUE(IsPayload(ex, "2"));
  EXPECT_GE(elapsed, 50);
  EXPECT_LT(elapsed, 1000);
  EXPECT_EQ(server().session_count(), 1u);
  EXPECT_FALSE(peer(sid).closed());
}

TEST_F(EngineServerTest, AnsweringPingsWithPongKeepsTheSessionOpen) {
  use_options(heartbeat_options(50ms, 30ms));
  const auto start = Clock::now();
  const auto sid = handshake();
  // Three heartbeats: each ping answered at once; a missed pong would end the session within
  // 80 ms, long before the third ping (at >= 150 ms).
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    auto ex = get(sid);
    ASSERT_TRUE(run_until([&] { return ex->answered() || peer(sid).closed(); }));
    ASSERT_TRUE(IsPayload(ex, "2"));
    EXPECT_TRUE(IsPayload(post(sid, "3"), "ok"));
  }
  EXPECT_GE(ms_between(start, Clock::now()), 150);
  EXPECT_EQ(server().session_count(), 1u);
  EXPECT_FALSE(peer(sid).closed()) << peer(sid).close_reasons.front();
}

TEST_F(EngineServerTest, MissingPongClosesAfterPingIntervalPlusPingTimeout) {
  constexpr auto interval = 50ms;
  constexpr auto timeout = 30ms;
  use_options(heartbeat_options(interval, timeout));
  const auto start = Clock::now();
  const auto sid = handshake();
  auto ex = get(sid);

  // The ping arrives after pingInterval, and the session is still open then.
  ASSERT_TRUE(run_until([&] { return ex->answered(); }));
  EXPECT_TRUE(IsPayload(ex, "2"));
  EXPECT_GE(ms_between(start, Clock::now()), interval.count());
  EXPECT_EQ(server().session_count(), 1u);
  EXPECT_FALSE(peer(sid).closed());

  // No pong: closed pingTimeout after the ping, never before.
  ASSERT_TRUE(run_until([&] { return peer(sid).closed(); }));
  const auto closed_after = ms_between(start, peer(sid).closed_at);
  EXPECT_GE(closed_after, (interval + timeout).count());
  EXPECT_LT(closed_after, (interval + timeout + 500ms).count()) << "generous margin";
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"ping timeout"});
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_TRUE(IsError(get(sid), 400, 1));
}

TEST_F(EngineServerTest, MissingPongWithAPendingGetAnswersItWithClose) {
  use_options(heartbeat_options(50ms, 30ms));
  const auto sid = handshake();
  auto ping = get(sid);
  ASSERT_TRUE(run_until([&] { return ping->answered(); }));
  ASSERT_TRUE(IsPayload(ping, "2"));
  auto next = get(sid);  // polls again but never answers the ping
  ASSERT_TRUE(run_until([&] { return peer(sid).closed(); }));
  EXPECT_TRUE(IsPayload(next, "1"));
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"ping timeout"});
}

// ---------------------------------------------------------------------------------------------
// Closing

TEST_F(EngineServerTest, CloseWithPendingGetAnswersItWithClosePacket) {
  const auto sid = handshake();
  auto pending = get(sid);
  session(sid).close(engineio::CloseReason::forced_close);
  poll();
  EXPECT_TRUE(IsPayload(pending, "1"));
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"forced close"});
  EXPECT_TRUE(IsError(get(sid), 400, 1));

  session(sid).close(engineio::CloseReason::server_shutting_down);  // closing twice is harmless
  poll();
  EXPECT_EQ(peer(sid).close_reasons.size(), 1u);
}

TEST_F(EngineServerTest, CloseWithoutPendingGetAnswersTheNextGetWithClosePacket) {
  const auto sid = handshake();
  session(sid).send_text("before");
  session(sid).close();
  session(sid).send_text("after");  // dropped: the session is closing
  poll();
  EXPECT_FALSE(peer(sid).closed()) << "waits for the client to collect the close packet";

  auto ex = get(sid);
  EXPECT_TRUE(IsPayload(ex, join({"4before", "1"})));
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_EQ(peer(sid).close_reasons.size(), 1u);
  EXPECT_TRUE(IsError(get(sid), 400, 1));
}

TEST_F(EngineServerTest, CloseWithoutPendingGetGivesUpAfterPingTimeout) {
  use_options(heartbeat_options(60s, 50ms));
  const auto sid = handshake();
  const auto start = Clock::now();
  session(sid).close();
  ASSERT_TRUE(run_until([&] { return peer(sid).closed(); }));
  EXPECT_GE(ms_between(start, peer(sid).closed_at), 50);
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_TRUE(IsError(get(sid), 400, 1));
}

TEST_F(EngineServerTest, ClientClosePacketAnswersPendingGetWithNoop) {
  const auto sid = handshake();
  auto pending = get(sid);
  auto ex = post(sid, join({"4last", "1", "4ignored"}));
  EXPECT_TRUE(IsPayload(ex, "ok"));
  EXPECT_TRUE(IsPayload(pending, "6"));
  EXPECT_EQ(peer(sid).messages, (std::vector<std::pair<std::string, bool>>{{"last", false}}));
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"transport close"});
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_TRUE(IsError(get(sid), 400, 1));
}

// Closing keeps what was still waiting, and the reason.
TEST_F(EngineServerTest, MessagesSentJustBeforeCloseReachAPendingGet) {
  const auto sid = handshake();
  auto pending = get(sid);
  session(sid).send_text("last words");
  session(sid).close();
  poll();
  EXPECT_TRUE(IsPayload(pending, join({"4last words", "1"})));
}

TEST_F(EngineServerTest, CloseInConnectionHandlerStillDeliversTheOpenPacket) {
  server().on_connection([](Session& session) { session.close(); });
  auto ex = send("GET", target("EIO=4&transport=polling"));
  ASSERT_TRUE(ex->answered());
  EXPECT_TRUE(ex->body().starts_with("0{")) << ex->body();
  EXPECT_TRUE(ex->body().ends_with(std::string(1, kSep) + "1")) << ex->body();
}

TEST_F(EngineServerTest, CloseReasonIsKeptWithoutPendingGet) {
  const auto sid = handshake();
  session(sid).close(engineio::CloseReason::forced_close);
  poll();
  get(sid);
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"forced close"});
}

}  // namespace

namespace {

TEST_F(EngineServerTest, HandshakesBeyondThePerAddressCapGet429UntilOneCloses) {
  auto options = slow_options();
  options.max_sessions_per_address = 2;
  use_options(options);
  const auto first = handshake();
  handshake();
  EXPECT_TRUE(IsError(send("GET", target("EIO=4&transport=polling")), 429, 3,
                      "Too many sessions from this address"));
  auto other = make_request("GET", target("EIO=4&transport=polling"));
  other.remote_address = "198.51.100.1";
  EXPECT_EQ(send(std::move(other))->status(), 200u) << "other addresses are not affected";
  session(first).close();
  EXPECT_TRUE(IsPayload(get(first), "1"));  // the close packet: the session is gone
  EXPECT_EQ(send("GET", target("EIO=4&transport=polling"))->status(), 200u);
}

// A quota shared with other servers, answering as the test says, when the test says.
class ScriptedQuota : public engineio::AddressQuota {
 public:
  void acquire(const std::string& address, std::size_t limit, Verdict done) override {
    asked.push_back(address);
    limits.push_back(limit);
    verdicts.push_back(std::move(done));
  }
  void release(const std::string& address) override { released.push_back(address); }

  std::vector<std::string> asked, released;
  std::vector<std::size_t> limits;
  std::vector<Verdict> verdicts;
};

TEST_F(EngineServerTest, AnAddressQuotaIsAskedAfterTheLocalCapAndTheHandshakeWaitsForIt) {
  auto options = slow_options();
  options.max_sessions_per_address = 2;
  use_options(options);
  ScriptedQuota quota;
  server().set_address_quota(&quota);

  auto pending = send("GET", target("EIO=4&transport=polling"));
  ASSERT_EQ(quota.asked.size(), 1u);
  EXPECT_EQ(quota.limits.front(), 2u) << "the quota counts against the same limit";
  EXPECT_FALSE(pending->answered()) << "no answer before the quota's verdict";
  quota.verdicts.front()(true);
  poll();
  ASSERT_EQ(pending->status(), 200u) << pending->body();
  EXPECT_TRUE(quota.released.empty());

  ASSERT_EQ(peers_.size(), 1u);
  const auto sid = peers_.begin()->first;
  session(sid).close();
  EXPECT_TRUE(IsPayload(get(sid), "1"));  // the close packet: the session is gone
  EXPECT_EQ(quota.released, std::vector<std::string>{quota.asked.front()})
      << "a session's place is given back once when it ends";
}

TEST_F(EngineServerTest, AQuotaRefusalIs429AndFreesTheLocalPlace) {
  auto options = slow_options();
  options.max_sessions_per_address = 1;
  use_options(options);
  ScriptedQuota quota;
  server().set_address_quota(&quota);

  auto refused = send("GET", target("EIO=4&transport=polling"));
  quota.verdicts.at(0)(false);
  poll();
  EXPECT_TRUE(IsError(refused, 429, 3, "Too many sessions from this address"));
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_TRUE(quota.released.empty()) << "a place never granted is never given back";

  auto admitted = send("GET", target("EIO=4&transport=polling"));
  ASSERT_EQ(quota.asked.size(), 2u) << "the local place was freed by the refusal";
  quota.verdicts.at(1)(true);
  poll();
  EXPECT_EQ(admitted->status(), 200u) << admitted->body();
}

TEST_F(EngineServerTest, CloseAllEndsSessionsAtOnceEvenWithoutAPollWaiting) {
  const auto idle = handshake();
  const auto polling = handshake();
  auto waiting = get(polling);
  server().close_all();
  poll();
  EXPECT_TRUE(peer(idle).closed()) << "a shutdown must not wait for the next poll";
  EXPECT_TRUE(IsPayload(waiting, "1"));
  EXPECT_EQ(server().session_count(), 0u);
  EXPECT_TRUE(IsError(get(idle), 400, 1, "Session ID unknown"));
}

// A WebSocket that records what its session does with it.
class RecordingWebSocket final : public net::WebSocket {
 public:
  explicit RecordingWebSocket(net::Strand strand) : strand_(strand) {}
  net::Strand executor() const override { return strand_; }
  void start(std::shared_ptr<net::WebSocketListener>) override { started = true; }
  net::SendStatus send(net::SharedBytes bytes, bool) override {
    ++sent;
    frames.push_back((corked ? "corked " : "") + *bytes);
    return net::SendStatus::queued;
  }
  void cork() override { corked = true; }
  void uncork() override {
    corked = false;
    ++uncorks;
  }
  std::size_t queued_bytes() const override { return 0; }
  void close() override { closed = true; }

  bool started = false;
  bool closed = false;
  bool corked = false;
  int sent = 0;
  int uncorks = 0;
  std::vector<std::string> frames;  // what was sent, each marked if it was sent while corked

 private:
  net::Strand strand_;
};

// Holds a WebSocket handshake open until the test hands the server its WebSocket.
class PendingWebSocketExchange final : public FakeExchange {
 public:
  void accept_websocket(net::Strand strand, const net::WebSocketLimits&,
                        std::function<void(net::WebSocketPtr)> on_open) override {
    this->strand.emplace(strand);
    this->on_open = std::move(on_open);
  }

  std::optional<net::Strand> strand;
  std::function<void(net::WebSocketPtr)> on_open;
};

TEST_F(EngineServerTest, ASessionShutDownDuringItsWebSocketHandshakeClosesTheWebSocket) {
  auto request = make_request("GET", target("EIO=4&transport=websocket"));
  request.websocket_upgrade = true;
  auto exchange = std::make_shared<PendingWebSocketExchange>();
  server().handle(std::move(request), exchange);
  poll();
  ASSERT_TRUE(exchange->on_open) << "the handshake waits for its WebSocket";
  server().close_all();
  poll();
  auto ws = std::make_shared<RecordingWebSocket>(*exchange->strand);
  boost::asio::post(*exchange->strand, [&] { exchange->on_open(ws); });
  poll();
  EXPECT_TRUE(ws->closed);
  EXPECT_FALSE(ws->started);
  EXPECT_EQ(ws->sent, 0) << "no open packet for a session that has ended";
  EXPECT_TRUE(peers_.empty()) << "the connection handler never meets it";
  EXPECT_EQ(server().session_count(), 0u);
}

// Sends from other threads wait in the session's outbox; what arrived before the strand took it
// goes to the WebSocket corked, so that it leaves in one write.
// A session opened on a RecordingWebSocket, which has sent it the open packet.
class RecordedWebSocketTest : public EngineServerTest {
 protected:
  void SetUp() override {
    auto request = make_request("GET", target("EIO=4&transport=websocket"));
    request.websocket_upgrade = true;
    auto exchange = std::make_shared<PendingWebSocketExchange>();
    server().handle(std::move(request), exchange);
    poll();
    ASSERT_TRUE(exchange->on_open);
    ws = std::make_shared<RecordingWebSocket>(*exchange->strand);
    boost::asio::post(*exchange->strand, [&] { exchange->on_open(ws); });
    poll();
    ASSERT_EQ(peers_.size(), 1u);
    ASSERT_EQ(ws->frames.size(), 1u);
    ASSERT_TRUE(ws->frames.front().starts_with("0{")) << "the open packet, not corked";
    ws->frames.clear();
  }
  Session& opened() { return session(peers_.begin()->first); }

  std::shared_ptr<RecordingWebSocket> ws;
};

TEST_F(RecordedWebSocketTest, SendsFromAnotherThreadThatArriveTogetherLeaveTogether) {
  auto& opened = this->opened();
  opened.send_text("one");  // this thread is not the session's strand
  poll();
  opened.send_text("two");
  opened.send(std::vector<engineio::SharedPacket>{
      engineio::encode_packet(engineio::PacketType::message, "three"),
      engineio::encode_packet(engineio::PacketType::message, "four")});
  opened.close();
  opened.send_text("after the close");
  poll();
  // The close is in line with them, and its close packet leaves in the same write.
  const std::vector<std::string> expected = {"4one", "corked 4two", "corked 4three", "corked 4four",
                                             "corked 1"};
  EXPECT_EQ(ws->frames, expected);
  EXPECT_EQ(ws->uncorks, 1) << "one packet alone is not corked";
  EXPECT_TRUE(ws->closed);
}

TEST_F(RecordedWebSocketTest, AHandOffBatchHandsTheSessionToItsStrandWhenItEnds) {
  {
    engineio::HandOffBatch batch;
    opened().send_text("one");
    opened().send_text("two");
    poll();
    EXPECT_TRUE(ws->frames.empty()) << "the hand-off waits for the end of the batch";
  }
  poll();
  EXPECT_EQ(ws->frames, (std::vector<std::string>{"corked 4one", "corked 4two"}));
}

TEST_F(RecordedWebSocketTest, ACloseFromAnotherThreadWaitsBehindWhatWasSentBeforeIt) {
  {
    engineio::HandOffBatch batch;
    opened().send_text("before");
    opened().close();
    opened().send_text("after");  // dropped: the session is closing
    poll();
    EXPECT_TRUE(ws->frames.empty()) << "the close waits in line with the send";
  }
  poll();
  EXPECT_EQ(ws->frames, (std::vector<std::string>{"corked 4before", "corked 1"}));
  EXPECT_TRUE(ws->closed);
}

// A task that a thread hands over after a send runs after that send; a send made on the strand
// by a handler that was already waiting there goes before a send handed over later.
TEST_F(RecordedWebSocketTest, RunInOrderKeepsATasksPlaceAmongTheSends) {
  boost::asio::post(opened().executor(), [&] { opened().send_text("queued first"); });
  {
    engineio::HandOffBatch batch;
    opened().send_text("from elsewhere");
    opened().run_in_order([&] { opened().send_text("from the task"); });
    poll();
  }
  poll();
  EXPECT_EQ(ws->frames, (std::vector<std::string>{"4queued first", "corked 4from elsewhere",
                                                  "corked 4from the task"}));
}

TEST_F(RecordedWebSocketTest, RunInOrderOnTheStrandRunsAtOnce) {
  bool ran = false;
  boost::asio::post(opened().executor(), [&] {
    opened().run_in_order([&] { ran = true; });
    EXPECT_TRUE(ran);
  });
  poll();
  EXPECT_TRUE(ran);
}

TEST_F(RecordedWebSocketTest, AGroupSentOnTheStrandLeavesCorked) {
  boost::asio::post(opened().executor(), [&] {
    opened().send(std::vector<engineio::SharedPacket>{
        engineio::encode_packet(engineio::PacketType::message, "head"),
        engineio::encode_packet(engineio::PacketType::message, "attachment")});
  });
  poll();
  EXPECT_EQ(ws->frames, (std::vector<std::string>{"corked 4head", "corked 4attachment"}));
  EXPECT_EQ(ws->uncorks, 1);
}

TEST_F(RecordedWebSocketTest, WhatIsSentOnTheStrandWhileCorkedLeavesTogether) {
  boost::asio::post(opened().executor(), [&] {
    {
      const Session::Corked corked(opened());
      opened().send_text("one");
      opened().send_text("two");
    }
    opened().send_text("three");
  });
  poll();
  EXPECT_EQ(ws->frames, (std::vector<std::string>{"corked 4one", "corked 4two", "4three"}));
  EXPECT_EQ(ws->uncorks, 1);
}

TEST_F(EngineServerTest, ASessionWhosePollsClientLeftEndsWithATransportError) {
  const auto sid = handshake();
  auto waiting = get(sid);
  ASSERT_FALSE(waiting->answered());
  ASSERT_TRUE(waiting->client_gone) << "the session watches the poll it holds";
  waiting->client_gone();
  poll();
  EXPECT_EQ(peer(sid).close_reasons, std::vector<std::string>{"transport error"});
  EXPECT_EQ(server().session_count(), 0u);
}

TEST_F(EngineServerTest, AClientLeavingAfterItsPollWasAnsweredChangesNothing) {
  const auto sid = handshake();
  auto answered = get(sid);
  ASSERT_TRUE(answered->client_gone);
  session(sid).send_text("news");
  poll();
  ASSERT_TRUE(IsPayload(answered, "4news"));
  auto next = get(sid);
  answered->client_gone();
  poll();
  EXPECT_FALSE(peer(sid).closed()) << "the next poll, on another connection, is what counts";
  EXPECT_FALSE(next->answered());
}

// A broadcast to more sessions than a handler takes posts a handler for each full group at once,
// and the rest when the batch ends: a large broadcast is shared out as it is made.
TEST_F(EngineServerTest, AHandOffBatchHandsOverEachFullGroupOfSessionsAtOnce) {
  constexpr std::size_t kGroup = engineio::HandOffBatch::kSessionsPerHandler;
  std::vector<std::string> sids;
  std::vector<ExchangePtr> polls;
  for (std::size_t i = 0; i < kGroup + 2; ++i) {
    sids.push_back(handshake());
    polls.push_back(get(sids.back()));
    ASSERT_FALSE(polls.back()->answered()) << "the poll waits for something to carry";
  }
  const auto answered = [&] {
    return std::count_if(polls.begin(), polls.end(), [](const auto& ex) { return ex->answered(); });
  };
  {
    engineio::HandOffBatch batch;
    for (const auto& sid : sids) session(sid).send_text("news");
    poll();
    EXPECT_EQ(answered(), static_cast<std::ptrdiff_t>(kGroup)) << "the first full group";
    EXPECT_FALSE(polls.back()->answered());
  }
  poll();
  EXPECT_EQ(answered(), static_cast<std::ptrdiff_t>(kGroup + 2));
  for (const auto& ex : polls) EXPECT_TRUE(IsPayload(ex, "4news"));
}

TEST(HandOffBatch, OnlyTheOutermostBatchOfAThreadIsOpen) {
  engineio::HandOffBatch outer;
  EXPECT_EQ(engineio::HandOffBatch::current(), &outer);
  {
    engineio::HandOffBatch inner;
    EXPECT_EQ(engineio::HandOffBatch::current(), &outer);
  }
  EXPECT_EQ(engineio::HandOffBatch::current(), &outer);
}

TEST_F(EngineServerTest, HandshakesBeyondMaxSessionsGet503) {
  auto options = slow_options();
  options.max_sessions = 2;
  use_options(options);
  handshake();
  handshake();
  auto refused = send("GET", target("EIO=4&transport=polling"));
  EXPECT_TRUE(IsError(refused, 503, 3, "Too many sessions"));
  EXPECT_EQ(server().session_count(), 2u);
}

}  // namespace

namespace {

// Volatile data is for when late is useless: it goes out only while the client is listening.
TEST_F(EngineServerTest, VolatilePacketsAreDroppedWhileNoPollWaits) {
  const auto sid = handshake();
  session(sid).send_volatile(engineio::encode_packet(engineio::PacketType::message, "stale"));
  poll();
  auto poll_ex = get(sid);
  run_for(50ms);
  EXPECT_FALSE(poll_ex->answered()) << "a dropped volatile packet must not be queued";

  session(sid).send_volatile(engineio::encode_packet(engineio::PacketType::message, "fresh"));
  ASSERT_TRUE(run_until([&] { return poll_ex->answered(); }));
  EXPECT_TRUE(IsPayload(poll_ex, "4fresh"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The observer: what an application counts (reportd's metrics)

namespace {

struct RecordingObserver : engineio::Observer {
  void handshake_refused(engineio::HandshakeRefusal refusal) override {
    refusals.push_back(refusal);
  }
  void packets_dropped(net::SendStatus why, std::size_t count) override { dropped[why] += count; }
  void session_closed(engineio::CloseReason reason) override { closed.push_back(reason); }

  std::vector<engineio::HandshakeRefusal> refusals;
  std::map<net::SendStatus, std::size_t> dropped;
  std::vector<engineio::CloseReason> closed;
};

TEST_F(EngineServerTest, TheObserverHearsEachRefusedHandshakeWithItsReason) {
  auto options = slow_options();
  options.max_sessions = 2;
  options.max_sessions_per_address = 1;
  use_options(options);
  RecordingObserver observer;
  server().set_observer(observer);
  server().set_request_filter([](const net::HttpRequest& request) -> std::optional<std::string> {
    if (request.header("x-refuse") == "yes") return std::string("no");
    return std::nullopt;
  });
  auto from = [&](const char* address, bool refuse = false) {
    auto request = make_request("GET", target("EIO=4&transport=polling"));
    request.remote_address = address;
    if (refuse) request.headers.emplace_back("x-refuse", "yes");
    return send(std::move(request))->status();
  };

  EXPECT_EQ(from("198.51.100.1"), 200u);
  EXPECT_EQ(from("198.51.100.1"), 429u);
  EXPECT_EQ(from("198.51.100.2", true), 403u);
  EXPECT_EQ(from("198.51.100.2"), 200u);
  EXPECT_EQ(from("198.51.100.3"), 503u);
  using engineio::HandshakeRefusal;
  EXPECT_EQ(observer.refusals, (std::vector<HandshakeRefusal>{HandshakeRefusal::address_cap,
                                                              HandshakeRefusal::request_filter,
                                                              HandshakeRefusal::session_cap}));
}

TEST_F(EngineServerTest, TheObserverHearsDroppedPacketsAndWhySessionsEnd) {
  auto options = slow_options();
  options.max_buffered_bytes = 4 * 1024;
  use_options(options);
  RecordingObserver observer;
  server().set_observer(observer);
  const auto slow = handshake();
  const auto gone = handshake();

  session(slow).send_volatile(engineio::encode_packet(engineio::PacketType::message, "stale"));
  poll();
  EXPECT_EQ(observer.dropped[net::SendStatus::dropped_not_ready], 1u);

  const std::string big(1024, 'x');
  for (int i = 0; i < 8; ++i) session(slow).send_text(big);
  poll();
  ASSERT_TRUE(peer(slow).closed());
  EXPECT_EQ(observer.dropped[net::SendStatus::dropped_overflow], 1u);
  // Sent after the end: counted at once, from any thread, without reaching the strand.
  const auto dropped_closed = observer.dropped[net::SendStatus::dropped_closed];
  session(slow).send_text(big);
  EXPECT_EQ(observer.dropped[net::SendStatus::dropped_closed], dropped_closed + 1);

  session(gone).close();
  EXPECT_TRUE(IsPayload(get(gone), "1"));
  ASSERT_TRUE(run_until([&] { return peer(gone).closed(); }));
  EXPECT_EQ(observer.closed,
            (std::vector<engineio::CloseReason>{engineio::CloseReason::send_buffer_overflow,
                                                engineio::CloseReason::forced_close}));
}

}  // namespace
