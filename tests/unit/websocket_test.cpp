// The net WebSocket's state machine over a real loopback TCP connection in this process: the
// server side comes from accept_websocket, the test plays the client with hand-made masked
// frames, and one io_context, run by the test thread, carries both ends.

#include "net/websocket.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engineio_harness.hpp"
#include "net/error.hpp"
#include "net/send_status.hpp"
#include "net/websocket_accept.hpp"
#include "net/websocket_frame.hpp"
#include "websocket_client_frame.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using harness::client_frame;
using net::ws::Opcode;
using Reasons = std::vector<boost::system::error_code>;

// The example key of RFC 6455 §1.3 and the answer it must get.
constexpr char kClientKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr char kAcceptKey[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

struct ServerFrame {
  bool fin = false;
  Opcode opcode = Opcode::continuation;
  std::string payload;
};

// Takes one whole frame off the front of `bytes`, if it holds one. Server frames are unmasked.
std::optional<ServerFrame> take_server_frame(std::string& bytes) {
  if (bytes.size() < 2) return std::nullopt;
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  std::size_t size = byte(1) & 0x7F;
  std::size_t header = 2;
  if (size == 126) {
    header = 4;
    if (bytes.size() < header) return std::nullopt;
    size = (byte(2) << 8) | byte(3);
  } else if (size == 127) {
    header = 10;
    if (bytes.size() < header) return std::nullopt;
    size = 0;
    for (std::size_t i = 2; i < 10; ++i) size = (size << 8) | byte(i);
  }
  if (bytes.size() < header + size) return std::nullopt;
  EXPECT_EQ(byte(1) & 0x80, 0) << "a server frame is never masked";
  ServerFrame frame{(byte(0) & 0x80) != 0, static_cast<Opcode>(byte(0) & 0x0F),
                    bytes.substr(header, size)};
  bytes.erase(0, header + size);
  return frame;
}

// The payload of a close frame with this code.
std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} +
         std::string(reason);
}

Reasons just(net::Error reason) {
  return {make_error_code(reason)};
}

class WebSocketTest : public ::testing::Test, public harness::IoDriver {
 protected:
  // Connects a client over loopback and hands the server end to accept_websocket with an
  // upgrade request; returns the head of the answer the client read ("" if none came).
  std::string handshake(const net::WebSocketLimits& limits, std::string early_bytes = {},
                        std::string_view version = "13") {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::address_v4::loopback(), 0});
    acceptor_.listen();
    client_.open(tcp::v4());
    // Small socket buffers, so that a peer that does not read holds the server's writes soon.
    client_.set_option(tcp::socket::receive_buffer_size(4096));
    client_.connect(acceptor_.local_endpoint());
    net::WebSocketSocket server(strand_.get_inner_executor());
    acceptor_.accept(server);
    server.set_option(tcp::socket::send_buffer_size(4096));

    http::request<http::string_body> request{http::verb::get, "/ws", 11};
    request.set(http::field::host, "localhost");
    request.set(http::field::upgrade, "websocket");
    request.set(http::field::connection, "Upgrade");
    request.set(http::field::sec_websocket_key, kClientKey);
    request.set(http::field::sec_websocket_version, version);
    net::accept_websocket(std::move(server), strand_, std::move(request), std::move(early_bytes),
                          limits, [this](net::WebSocketPtr ws) { on_open(std::move(ws)); });
    read_from_server();
    const auto end_of_head = [&] { return from_server_.find("\r\n\r\n"); };
    if (!run_until([&] { return opened_ && end_of_head() != std::string::npos; })) return "";
    auto head = from_server_.substr(0, end_of_head() + 4);
    from_server_.erase(0, head.size());
    return head;
  }

  // An open WebSocket, started, with a client that reads what it sends.
  ::testing::AssertionResult open(const net::WebSocketLimits& limits = {},
                                  std::string early_bytes = {}) {
    const auto head = handshake(limits, std::move(early_bytes));
    if (!head.starts_with("HTTP/1.1 101 ")) return ::testing::AssertionFailure() << head;
    if (head.find(std::string("Sec-WebSocket-Accept: ") + kAcceptKey) == std::string::npos) {
      return ::testing::AssertionFailure() << "wrong accept key: " << head;
    }
    if (!ws_) return ::testing::AssertionFailure() << "no WebSocket";
    return ::testing::AssertionSuccess();
  }

  void on_open(net::WebSocketPtr ws) {
    opened_ = true;
    ws_ = std::move(ws);
    if (!ws_) return;
    ws_->start(std::make_shared<Recorder>(*this));
    if (when_opened_) when_opened_(*ws_);
  }

  // Writes down what the WebSocket tells its listener.
  struct Recorder final : net::WebSocketListener {
    explicit Recorder(WebSocketTest& test) : test(test) {}
    void on_websocket_message(const net::WebSocket&, std::string&& data, bool binary) override {
      test.messages_.emplace_back(std::move(data), binary);
    }
    void on_websocket_closed(const net::WebSocket&, boost::system::error_code reason) override {
      test.reasons_.push_back(reason);
    }
    WebSocketTest& test;
  };

  void read_from_server() {
    client_.async_read_some(asio::buffer(read_buffer_),
                            [this](boost::system::error_code ec, std::size_t n) {
                              if (ec == asio::error::operation_aborted) return;  // stop_reading()
                              if (ec) {
                                client_ended_ = true;  // EOF, or the server reset the connection
                                return;
                              }
                              from_server_.append(read_buffer_.data(), n);
                              read_from_server();
                            });
  }
  void stop_reading() {
    client_.cancel();
    poll();
  }

  void send_from_client(const std::string& bytes) {
    asio::write(client_, asio::buffer(bytes));
    poll();
  }
  // Runs `action` on the WebSocket's strand, as its rules ask, and what follows from it.
  void on_strand(std::function<void()> action) {
    asio::post(strand_, std::move(action));
    poll();
  }
  std::optional<net::SendStatus> send_from_server(std::string bytes, bool binary) {
    std::optional<net::SendStatus> status;
    on_strand([&] { status = ws_->send(std::make_shared<const std::string>(bytes), binary); });
    return status;
  }

  // The next frame the client receives, waiting for it a bounded time.
  std::optional<ServerFrame> next_frame() {
    std::optional<ServerFrame> frame;
    run_until([&] {
      if (!frame) frame = take_server_frame(from_server_);  // once: run_until asks again
      return frame.has_value();
    });
    return frame;
  }
  // Expects the next frame to be a close frame with `code`.
  ::testing::AssertionResult NextIsClose(std::uint16_t code) {
    const auto frame = next_frame();
    if (!frame) return ::testing::AssertionFailure() << "no frame";
    if (frame->opcode != Opcode::close || frame->payload.substr(0, 2) != close_payload(code)) {
      return ::testing::AssertionFailure()
             << "opcode " << static_cast<int>(frame->opcode) << " payload "
             << ::testing::PrintToString(frame->payload) << ", want close " << code;
    }
    return ::testing::AssertionSuccess();
  }
  bool wait_for_end() {
    return run_until([&] { return !reasons_.empty(); });
  }
  // Expects the end a violation brings: a close frame with `code` to the peer, on_close with
  // `reason`, and no message delivered.
  ::testing::AssertionResult EndsInViolation(std::uint16_t code, net::Error reason) {
    if (auto close = NextIsClose(code); !close) return close;
    if (!wait_for_end()) return ::testing::AssertionFailure() << "on_close was not called";
    if (reasons_ != just(reason)) {
      return ::testing::AssertionFailure() << "ended with " << ::testing::PrintToString(reasons_);
    }
    if (!messages_.empty()) return ::testing::AssertionFailure() << "a message was delivered";
    return ::testing::AssertionSuccess();
  }

  net::Strand strand_{asio::make_strand(ioc_)};
  tcp::acceptor acceptor_{ioc_};
  tcp::socket client_{ioc_};
  std::array<char, 4096> read_buffer_{};
  std::string from_server_;  // read by the client, not yet taken as frames
  bool client_ended_ = false;
  bool opened_ = false;
  net::WebSocketPtr ws_;
  std::function<void(net::WebSocket&)> when_opened_;    // runs in on_open, after start()
  std::vector<std::pair<std::string, bool>> messages_;  // data, binary
  Reasons reasons_;                                     // what on_close was told
};

using Messages = std::vector<std::pair<std::string, bool>>;

// ---------------------------------------------------------------------------------------------
// Handshake

TEST_F(WebSocketTest, AnUnsupportedVersionGets400AndNoWebSocket) {
  const auto head = handshake({}, {}, "12");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 400 ")) << head;
  EXPECT_TRUE(opened_);
  EXPECT_EQ(ws_, nullptr);
  EXPECT_TRUE(run_until([&] { return client_ended_; })) << "the connection is closed";
}

TEST_F(WebSocketTest, WhatTheOwnerSendsOnOpeningLeavesTogetherWithThe101) {
  std::size_t queued_on_opening = 0;
  when_opened_ = [&](net::WebSocket& ws) {
    queued_on_opening = ws.queued_bytes();
    ws.send(std::make_shared<const std::string>("welcome"), false);
  };
  ASSERT_TRUE(open());
  EXPECT_GT(queued_on_opening, std::string_view("HTTP/1.1 101 Switching Protocols\r\n").size())
      << "the 101 waits for what the owner sends at once, to leave in one write";
  const auto frame = next_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, Opcode::text);
  EXPECT_EQ(frame->payload, "welcome");
}

TEST_F(WebSocketTest, BytesThatCameWithTheRequestAreTheFirstFrames) {
  const auto split = client_frame(Opcode::text, "second");
  ASSERT_TRUE(open({}, client_frame(Opcode::text, "first") + split.substr(0, 3)));
  EXPECT_TRUE(run_until([&] { return messages_.size() == 1; }));
  send_from_client(split.substr(3));
  EXPECT_TRUE(run_until([&] { return messages_.size() == 2; }));
  EXPECT_EQ(messages_, (Messages{{"first", false}, {"second", false}}));
}

// ---------------------------------------------------------------------------------------------
// Messages

TEST_F(WebSocketTest, TextAndBinaryMessagesArrive) {
  ASSERT_TRUE(open());
  const std::string binary("\x00\xff\x01", 3);
  send_from_client(client_frame(Opcode::text, "caf\xc3\xa9") +
                   client_frame(Opcode::binary, binary) + client_frame(Opcode::text, ""));
  EXPECT_TRUE(run_until([&] { return messages_.size() == 3; }));
  EXPECT_EQ(messages_, (Messages{{"caf\xc3\xa9", false}, {binary, true}, {"", false}}));
  EXPECT_TRUE(reasons_.empty());
}

TEST_F(WebSocketTest, FragmentsAreReassembledAroundAPing) {
  ASSERT_TRUE(open());
  send_from_client(client_frame(Opcode::binary, "frag", false) +
                   client_frame(Opcode::ping, "p") +  // control frames may come between fragments
                   client_frame(Opcode::continuation, "men", false) +
                   client_frame(Opcode::continuation, "ted"));
  EXPECT_TRUE(run_until([&] { return messages_.size() == 1; }));
  EXPECT_EQ(messages_, (Messages{{"fragmented", true}}));
  const auto pong = next_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, Opcode::pong);
  EXPECT_EQ(pong->payload, "p");
}

// Each byte in a read of its own: the kept start of a frame, and a fragmented message, come and
// go between reads.
TEST_F(WebSocketTest, MessagesSentAByteAtATimeArriveWhole) {
  ASSERT_TRUE(open());
  const auto bytes = client_frame(Opcode::text, "one") + client_frame(Opcode::text, "tw", false) +
                     client_frame(Opcode::ping, "p") + client_frame(Opcode::continuation, "o") +
                     client_frame(Opcode::binary, "three");
  for (const char byte : bytes) send_from_client(std::string(1, byte));
  EXPECT_TRUE(run_until([&] { return messages_.size() == 3; }));
  EXPECT_EQ(messages_, (Messages{{"one", false}, {"two", false}, {"three", true}}));
  EXPECT_TRUE(reasons_.empty());
}

TEST_F(WebSocketTest, APingGetsAPongWithItsPayload) {
  ASSERT_TRUE(open());
  send_from_client(client_frame(Opcode::ping, "are you there"));
  const auto pong = next_frame();
  ASSERT_TRUE(pong);
  EXPECT_TRUE(pong->fin);
  EXPECT_EQ(pong->opcode, Opcode::pong);
  EXPECT_EQ(pong->payload, "are you there");
  EXPECT_TRUE(messages_.empty());
}

TEST_F(WebSocketTest, ServerMessagesLeaveInOrderAsUnmaskedFrames) {
  ASSERT_TRUE(open());
  send_from_server("one", false);
  send_from_server(std::string(70'000, 'b'), true);  // a 64-bit length
  send_from_server("three", false);
  const std::vector<std::pair<Opcode, std::size_t>> expected = {
      {Opcode::text, 3}, {Opcode::binary, 70'000}, {Opcode::text, 5}};
  for (const auto& [opcode, size] : expected) {
    const auto frame = next_frame();
    ASSERT_TRUE(frame);
    EXPECT_TRUE(frame->fin);
    EXPECT_EQ(frame->opcode, opcode);
    EXPECT_EQ(frame->payload.size(), size);
  }
  EXPECT_EQ(ws_->queued_bytes(), 0u) << "everything was written";
}

TEST_F(WebSocketTest, FramesSentWhileCorkedWaitForUncorkThenLeaveInOrder) {
  ASSERT_TRUE(open());
  on_strand([&] {
    ws_->cork();
    for (const char* text : {"one", "two", "three"}) {
      EXPECT_EQ(ws_->send(std::make_shared<const std::string>(text), false),
                net::SendStatus::queued);
    }
  });
  EXPECT_TRUE(from_server_.empty()) << "nothing leaves while corked";
  EXPECT_GT(ws_->queued_bytes(), 0u);
  on_strand([&] {
    ws_->cork();  // nested
    ws_->uncork();
  });
  EXPECT_TRUE(from_server_.empty()) << "the outer cork still holds";
  on_strand([&] { ws_->uncork(); });
  for (const char* text : {"one", "two", "three"}) {
    const auto frame = next_frame();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->payload, text);
  }
  EXPECT_EQ(ws_->queued_bytes(), 0u);
  send_from_server("four", false);  // uncorked: at once again
  const auto frame = next_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->payload, "four");
}

// ---------------------------------------------------------------------------------------------
// Closing

TEST_F(WebSocketTest, APeerCloseIsEchoedAndEndsWithClosedByPeer) {
  ASSERT_TRUE(open());
  send_from_client(client_frame(Opcode::close, close_payload(1001, "going away")));
  EXPECT_TRUE(NextIsClose(1001)) << "the peer's code echoed";
  ASSERT_TRUE(wait_for_end());
  EXPECT_EQ(reasons_, just(net::Error::closed_by_peer));
  EXPECT_TRUE(run_until([&] { return client_ended_; })) << "then the server closes the socket";
}

TEST_F(WebSocketTest, AServerCloseSends1000AndEndsWithClosedByServerOnThePeersReply) {
  ASSERT_TRUE(open());
  on_strand([this] { ws_->close(); });
  EXPECT_TRUE(NextIsClose(1000));
  EXPECT_TRUE(reasons_.empty()) << "the close handshake is not over yet";
  send_from_client(client_frame(Opcode::close, close_payload(1000)));
  ASSERT_TRUE(wait_for_end());
  EXPECT_EQ(reasons_, just(net::Error::closed_by_server));
  EXPECT_TRUE(run_until([&] { return client_ended_; }));
}

TEST_F(WebSocketTest, EndOfStreamWithoutACloseFrameIsClosedByPeer) {
  ASSERT_TRUE(open());
  client_.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(wait_for_end());
  EXPECT_EQ(reasons_, just(net::Error::closed_by_peer));
}

TEST_F(WebSocketTest, OnCloseIsCalledOnceAndNothingIsSentAfterIt) {
  ASSERT_TRUE(open());
  send_from_client(client_frame(Opcode::close, close_payload(1000)));
  ASSERT_TRUE(wait_for_end());
  EXPECT_EQ(send_from_server("late", false), net::SendStatus::dropped_closed);
  on_strand([this] { ws_->close(); });
  EXPECT_TRUE(NextIsClose(1000));
  EXPECT_TRUE(run_until([&] { return client_ended_; }));
  EXPECT_TRUE(from_server_.empty()) << "nothing after the close frame";
  EXPECT_EQ(reasons_.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Violations and limits

TEST_F(WebSocketTest, AMessageOverTheLimitCloses1009WithMessageTooBig) {
  ASSERT_TRUE(open({.max_message_bytes = 100}));
  send_from_client(client_frame(Opcode::binary, std::string(101, 'x')));
  EXPECT_TRUE(EndsInViolation(1009, net::Error::message_too_big));
}

TEST_F(WebSocketTest, FragmentsThatTogetherPassTheLimitClose1009) {
  ASSERT_TRUE(open({.max_message_bytes = 100}));
  send_from_client(client_frame(Opcode::text, std::string(60, 'x'), false) +
                   client_frame(Opcode::continuation, std::string(60, 'x')));
  EXPECT_TRUE(EndsInViolation(1009, net::Error::message_too_big));
}

TEST_F(WebSocketTest, AMessageAtTheLimitArrives) {
  ASSERT_TRUE(open({.max_message_bytes = 100}));
  send_from_client(client_frame(Opcode::text, std::string(50, 'x'), false) +
                   client_frame(Opcode::continuation, std::string(50, 'x')));
  EXPECT_TRUE(run_until([&] { return messages_.size() == 1; }));
  EXPECT_TRUE(reasons_.empty());
}

TEST_F(WebSocketTest, TextThatIsNotUtf8Closes1007WithProtocolViolation) {
  ASSERT_TRUE(open());
  send_from_client(client_frame(Opcode::text, "caf\xc3("));
  EXPECT_TRUE(EndsInViolation(1007, net::Error::protocol_violation));
}

TEST_F(WebSocketTest, AnUnmaskedFrameCloses1002WithProtocolViolation) {
  ASSERT_TRUE(open());
  send_from_client("\x81\x02hi");  // text "hi", FIN, no mask
  EXPECT_TRUE(EndsInViolation(1002, net::Error::protocol_violation));
}

TEST_F(WebSocketTest, AContinuationWithoutAStartCloses1002) {
  ASSERT_TRUE(open());
  send_from_client(client_frame(Opcode::continuation, "orphan"));
  EXPECT_TRUE(EndsInViolation(1002, net::Error::protocol_violation));
}

TEST_F(WebSocketTest, APeerThatDoesNotReadOverflowsTheSendQueue) {
  ASSERT_TRUE(open({.max_queued_bytes = 64 * 1024}));
  stop_reading();
  // 16 KiB at a time until the WebSocket gives up on the peer; 1000 of them (16 MB) are far
  // more than the small socket buffers of this connection hold.
  std::vector<net::SendStatus> statuses;
  while (statuses.size() < 1000 && reasons_.empty()) {
    statuses.push_back(send_from_server(std::string(16 * 1024, 'x'), true).value());
  }
  EXPECT_EQ(reasons_, just(net::Error::send_queue_overflow));
  ASSERT_GE(statuses.size(), 4u) << "the queue holds 64 KiB";
  EXPECT_EQ(statuses.back(), net::SendStatus::dropped_overflow);
  statuses.pop_back();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), net::SendStatus::queued),
            static_cast<std::ptrdiff_t>(statuses.size()));
  EXPECT_EQ(send_from_server("after", true), net::SendStatus::dropped_closed);
}

}  // namespace
