#include <gtest/gtest.h>

#include "engineio/packet.hpp"
#include "engineio/payload.hpp"
#include "engineio/sid.hpp"

using namespace engineio;

TEST(PacketCodec, DecodesEveryTextPacketType) {
  for (char type = '0'; type <= '6'; ++type) {
    auto packet = decode_text_packet(std::string(1, type) + "data");
    ASSERT_TRUE(packet) << type;
    EXPECT_EQ(static_cast<char>(packet->type), type);
    EXPECT_EQ(packet->data, "data");
    EXPECT_FALSE(packet->binary);
  }
}

TEST(PacketCodec, RejectsEmptyAndUnknownTypes) {
  EXPECT_FALSE(decode_text_packet(""));
  EXPECT_FALSE(decode_text_packet("7"));
  EXPECT_FALSE(decode_text_packet("abc"));
  EXPECT_FALSE(decode_text_packet("/"));
}

TEST(PacketCodec, EncodesTypeDigitThenData) {
  EXPECT_EQ(encode_packet(PacketType::message, "hello")->bytes, "4hello");
  EXPECT_EQ(encode_packet(PacketType::ping)->bytes, "2");
  auto binary = encode_binary_message(std::string("\x01\x02", 2));
  EXPECT_TRUE(binary->binary);
  EXPECT_EQ(binary->bytes, std::string("\x01\x02", 2));
}

TEST(Payload, EncodesPacketsJoinedByRecordSeparator) {
  std::vector<SharedPacket> packets = {encode_packet(PacketType::message, "hello"),
                                       encode_binary_message(std::string("\x01\x02\x03\x04", 4)),
                                       encode_packet(PacketType::ping)};
  const auto pieces = encode_payload(packets);
  std::string payload;
  for (const auto& piece : pieces) payload += *piece;
  EXPECT_EQ(payload,
            "4hello\x1e"
            "bAQIDBA==\x1e"
            "2");
}

TEST(Payload, SharesTextPacketBytesInsteadOfCopyingThem) {
  const auto packet = encode_packet(PacketType::message, "hello");
  const std::vector<SharedPacket> packets = {packet, packet};
  const auto pieces = encode_payload(packets);
  ASSERT_EQ(pieces.size(), 3u);
  // The same bytes as the packet, owned with it: many answers share one broadcast's packet.
  EXPECT_EQ(pieces[0].get(), &packet->bytes);
  EXPECT_EQ(pieces[2].get(), &packet->bytes);
  EXPECT_EQ(*pieces[1], "\x1e");
  EXPECT_TRUE(encode_payload({}).empty());
}

TEST(Payload, DecodesTextAndBinaryPackets) {
  auto packets = decode_payload(
      "4hello\x1e"
      "bAQIDBA==\x1e"
      "3");
  ASSERT_TRUE(packets);
  ASSERT_EQ(packets->size(), 3u);
  EXPECT_EQ((*packets)[0].type, PacketType::message);
  EXPECT_EQ((*packets)[0].data, "hello");
  EXPECT_TRUE((*packets)[1].binary);
  EXPECT_EQ((*packets)[1].data, std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ((*packets)[2].type, PacketType::pong);
}

TEST(Payload, KeepsEmptyMessagesAndSeparatorFreeData) {
  auto packets = decode_payload(
      "4\x1e"
      "4a,b");
  ASSERT_TRUE(packets);
  ASSERT_EQ(packets->size(), 2u);
  EXPECT_EQ((*packets)[0].data, "");
  EXPECT_EQ((*packets)[1].data, "a,b");
}

TEST(Payload, RejectsMalformedOrTruncatedBodiesWhole) {
  EXPECT_FALSE(decode_payload(""));
  EXPECT_FALSE(decode_payload("abc"));
  EXPECT_FALSE(decode_payload("4hello\x1e"));  // empty trailing packet
  EXPECT_FALSE(
      decode_payload("\x1e"
                     "4hello"));  // empty leading packet
  EXPECT_FALSE(
      decode_payload("4hello\x1e"
                     "bAQID!"));  // bad base64
  EXPECT_FALSE(
      decode_payload("4ok\x1e"
                     "9nope"));             // unknown type after a good packet
  EXPECT_FALSE(decode_payload("bAQIDBA"));  // truncated base64
}

TEST(Sid, IsTwentyUrlSafeCharactersAndUnique) {
  auto a = generate_sid();
  auto b = generate_sid();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
}
