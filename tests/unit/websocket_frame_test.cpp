#include "net/websocket_frame.hpp"

#include <gtest/gtest.h>

#include "websocket_client_frame.hpp"

using harness::client_frame;
using namespace net::ws;

TEST(WebSocketFrame, ParsesMaskedTextFrame) {
  auto bytes = client_frame(Opcode::text, "4hello");
  auto result = parse_client_frame(bytes, 1000);
  ASSERT_TRUE(result.frame);
  EXPECT_EQ(result.consumed, bytes.size());
  EXPECT_TRUE(result.frame->fin);
  EXPECT_EQ(result.frame->opcode, Opcode::text);
  EXPECT_EQ(result.frame->payload, "4hello");
}

TEST(WebSocketFrame, WaitsForMoreBytesAtEveryCut) {
  auto bytes = client_frame(Opcode::binary, std::string(300, 'x'));
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    auto result = parse_client_frame(std::string_view(bytes).substr(0, cut), 1000);
    EXPECT_FALSE(result.frame) << cut;
    EXPECT_FALSE(result.error) << cut;
  }
  EXPECT_TRUE(parse_client_frame(bytes, 1000).frame);
}

TEST(WebSocketFrame, ReadsSixteenAndSixtyFourBitLengths) {
  for (std::size_t size : {125u, 126u, 65535u, 65536u, 70000u}) {
    auto result = parse_client_frame(client_frame(Opcode::binary, std::string(size, 'a')), 100000);
    ASSERT_TRUE(result.frame) << size;
    EXPECT_EQ(result.frame->payload.size(), size);
  }
}

TEST(WebSocketFrame, ParsesTwoFramesBackToBack) {
  auto bytes = client_frame(Opcode::text, "a", false) + client_frame(Opcode::continuation, "b");
  auto first = parse_client_frame(bytes, 100);
  ASSERT_TRUE(first.frame);
  EXPECT_FALSE(first.frame->fin);
  auto second = parse_client_frame(std::string_view(bytes).substr(first.consumed), 100);
  ASSERT_TRUE(second.frame);
  EXPECT_EQ(second.frame->opcode, Opcode::continuation);
  EXPECT_EQ(second.frame->payload, "b");
}

TEST(WebSocketFrame, RefusesProtocolViolations) {
  std::string unmasked = "\x81\x01x";
  EXPECT_TRUE(parse_client_frame(unmasked, 100).error);
  auto reserved = client_frame(Opcode::text, "x");
  reserved[0] = static_cast<char>(reserved[0] | 0x40);
  EXPECT_TRUE(parse_client_frame(reserved, 100).error);
  auto unknown = client_frame(Opcode::text, "x");
  unknown[0] = static_cast<char>(0x83);
  EXPECT_TRUE(parse_client_frame(unknown, 100).error);
  EXPECT_TRUE(parse_client_frame(client_frame(Opcode::ping, std::string(126, 'p')), 1000).error);
  EXPECT_TRUE(parse_client_frame(client_frame(Opcode::ping, "p", false), 1000).error);
  auto big = parse_client_frame(client_frame(Opcode::binary, std::string(101, 'b')), 100);
  ASSERT_TRUE(big.error);
  EXPECT_EQ(big.error->code, CloseCode::too_big);
}

TEST(WebSocketFrame, WritesServerHeaders) {
  auto small = server_frame_header(Opcode::text, 5);
  EXPECT_EQ(small.size, 2);
  EXPECT_EQ(small.bytes[0], 0x81);
  EXPECT_EQ(small.bytes[1], 5);
  auto medium = server_frame_header(Opcode::binary, 300);
  EXPECT_EQ(medium.size, 4);
  EXPECT_EQ(medium.bytes[0], 0x82);
  EXPECT_EQ(medium.bytes[1], 126);
  EXPECT_EQ(medium.bytes[2] * 256 + medium.bytes[3], 300);
  auto large = server_frame_header(Opcode::text, 70000);
  EXPECT_EQ(large.size, 10);
  EXPECT_EQ(large.bytes[1], 127);
  EXPECT_EQ((large.bytes[7] << 16) | (large.bytes[8] << 8) | large.bytes[9], 70000);
}

TEST(WebSocketFrame, RefusesA64BitLengthWithItsTopBitSet) {
  std::string frame = "\x82\xff";  // binary, masked, 64-bit length follows
  frame += std::string("\x80\x00\x00\x00\x00\x00\x00\x01", 8);
  frame += std::string(4, '\0');
  auto result = parse_client_frame(frame, 1000);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, CloseCode::protocol_error);
}

TEST(WebSocketFrame, KnowsWhichCloseCodesMayBeSent) {
  for (std::uint16_t ok : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}) {
    EXPECT_TRUE(is_valid_close_code(ok)) << ok;
  }
  for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    EXPECT_FALSE(is_valid_close_code(bad)) << bad;
  }
}
