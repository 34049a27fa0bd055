#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "socketio/decoder.hpp"
#include "socketio/event_packet.hpp"
#include "socketio/packet.hpp"

using namespace socketio;
namespace json = boost::json;

namespace {

Packet decoded(std::string_view text) {
  Decoder decoder;
  auto result = decoder.feed_text(text);
  EXPECT_TRUE(std::holds_alternative<Packet>(result)) << text;
  return std::holds_alternative<Packet>(result) ? std::get<Packet>(std::move(result)) : Packet{};
}

bool rejected(std::string_view text) {
  Decoder decoder;
  return std::holds_alternative<Error>(decoder.feed_text(text));
}

std::string text_of(const Packet& packet) {
  auto encoded = encode(packet);
  return encoded.front()->bytes.substr(1);  // without the Engine.IO message type
}

}  // namespace

TEST(SocketIoDecoder, ConnectToMainAndCustomNamespaces) {
  auto main = decoded("0");
  EXPECT_EQ(main.type, PacketType::connect);
  EXPECT_EQ(main.nsp, "/");
  EXPECT_FALSE(main.has_data);

  auto custom = decoded(R"(0/admin,{"token":"123"})");
  EXPECT_EQ(custom.nsp, "/admin");
  ASSERT_TRUE(custom.has_data);
  EXPECT_EQ(custom.data.at("token").as_string(), "123");

  EXPECT_EQ(decoded("0/admin").nsp, "/admin");
}

TEST(SocketIoDecoder, EventWithNamespaceAndAckId) {
  auto packet = decoded(R"(2/ws/internal,17["join_report",{"reportId":123}])");
  EXPECT_EQ(packet.type, PacketType::event);
  EXPECT_EQ(packet.nsp, "/ws/internal");
  EXPECT_EQ(packet.ack_id, 17u);
  EXPECT_EQ(json::serialize(packet.data), R"(["join_report",{"reportId":123}])");
}

TEST(SocketIoDecoder, AckAndDisconnect) {
  auto ack = decoded(R"(3/x,5["a",1])");
  EXPECT_EQ(ack.type, PacketType::ack);
  EXPECT_EQ(ack.ack_id, 5u);
  EXPECT_EQ(decoded("1/x,").type, PacketType::disconnect);
}

TEST(SocketIoDecoder, RejectsPayloadsThatDoNotFitTheirType) {
  EXPECT_TRUE(rejected("4abc"));                              // unknown packet type
  EXPECT_TRUE(rejected("7"));                                 // unknown packet type
  EXPECT_TRUE(rejected(""));                                  // empty
  EXPECT_TRUE(rejected("2{}"));                               // event payload not an array
  EXPECT_TRUE(rejected("2[]"));                               // event without a name
  EXPECT_TRUE(rejected("2[1,2]"));                            // event name not a string
  EXPECT_TRUE(rejected("2"));                                 // event without payload
  EXPECT_TRUE(rejected(R"(2abc["x"])"));                      // bad ack id
  EXPECT_TRUE(rejected(R"(0"token")"));                       // connect payload not an object
  EXPECT_TRUE(rejected("1{}"));                               // disconnect with payload
  EXPECT_TRUE(rejected(R"(3["x"])"));                         // ack without id
  EXPECT_TRUE(rejected(R"(2["x",)"));                         // truncated JSON
  EXPECT_TRUE(rejected(R"(299999999999999999999999["x"])"));  // ack id overflow
  EXPECT_TRUE(rejected(R"(5-["x"])"));                        // missing attachment count
  EXPECT_TRUE(rejected(R"(5a-["x"])"));                       // bad attachment count
  EXPECT_TRUE(rejected(R"(51["x"])"));                        // count without dash
  EXPECT_TRUE(rejected(R"(5999-["x"])"));                     // more attachments than allowed
}

// Found by fuzz_socketio_decoder: Boost.JSON read 1e818 as infinity, and encode() wrote it back
// as `Infinity`, which no client can parse.
TEST(SocketIoDecoder, RefusesNumbersTooLargeForADouble) {
  EXPECT_TRUE(rejected(R"(2["",1e818])"));
  EXPECT_TRUE(rejected(R"(2/admin,["e",{"a":[-1e400]}])"));
  EXPECT_TRUE(rejected(R"(0/admin,{"token":1e999})"));
  auto largest = decoded(R"(2["e",1.7e308,-1e308])");
  auto again = decoded(text_of(largest));
  EXPECT_EQ(again.data, largest.data);
}

TEST(SocketIoDecoder, ReassemblesBinaryEventFromAttachments) {
  Decoder decoder;
  auto header = decoder.feed_text(
      R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(header));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(decoder.feed_binary("\x01\x02")));
  auto done = decoder.feed_binary("\x03");
  ASSERT_TRUE(std::holds_alternative<Packet>(done));
  auto& packet = std::get<Packet>(done);
  EXPECT_EQ(packet.type, PacketType::binary_event);
  ASSERT_EQ(packet.attachments.size(), 2u);
  EXPECT_EQ(packet.attachments[0], "\x01\x02");
  EXPECT_EQ(placeholder_index(packet.data.as_array()[2]), 1u);
}

TEST(SocketIoDecoder, RejectsInterleavedOrUnexpectedBinary) {
  Decoder decoder;
  EXPECT_TRUE(std::holds_alternative<Error>(decoder.feed_binary("x")));
  ASSERT_TRUE(std::holds_alternative<std::monostate>(
      decoder.feed_text(R"(51-["m",{"_placeholder":true,"num":0}])")));
  EXPECT_TRUE(std::holds_alternative<Error>(decoder.feed_text(R"(2["m"])")));
}

TEST(SocketIoEncoder, OmitsMainNamespaceAndWritesAckIds) {
  Packet connect;
  connect.type = PacketType::connect;
  connect.data = {{"sid", "abc"}};
  connect.has_data = true;
  EXPECT_EQ(text_of(connect), R"(0{"sid":"abc"})");

  auto event = make_event_packet("/ws/internal", "comment.created", {1, "x"}, {}, 12);
  EXPECT_EQ(text_of(event), R"(2/ws/internal,12["comment.created",1,"x"])");

  Packet error;
  error.type = PacketType::connect_error;
  error.nsp = "/random";
  error.data = {{"message", "Invalid namespace"}};
  error.has_data = true;
  EXPECT_EQ(text_of(error), R"(4/random,{"message":"Invalid namespace"})");
}

TEST(SocketIoEncoder, BinaryPacketsCarryAttachmentCountAndFollowingFrames) {
  auto event =
      make_event_packet("/", "file", {binary_placeholder(0)}, {std::string("\x00\x01", 2)});
  auto encoded = encode(event);
  ASSERT_EQ(encoded.size(), 2u);
  EXPECT_EQ(encoded[0]->bytes, R"(451-["file",{"_placeholder":true,"num":0}])");
  EXPECT_FALSE(encoded[0]->binary);
  EXPECT_TRUE(encoded[1]->binary);
  EXPECT_EQ(encoded[1]->bytes, std::string("\x00\x01", 2));
}

TEST(SocketIoEncoder, RoundTripsThroughTheDecoder) {
  auto original =
      make_event_packet("/a", "e", {json::object{{"k", json::array{1, 2}}}, true}, {}, 3);
  auto back = decoded(text_of(original));
  EXPECT_EQ(back.nsp, "/a");
  EXPECT_EQ(back.ack_id, 3u);
  EXPECT_EQ(back.data, original.data);
}

TEST(Placeholder, RecognisesOnlyExactPlaceholders) {
  EXPECT_EQ(placeholder_index(binary_placeholder(4)), 4u);
  EXPECT_FALSE(placeholder_index(json::parse(R"({"_placeholder":false,"num":0})")));
  EXPECT_FALSE(placeholder_index(json::parse(R"({"_placeholder":true,"num":-1})")));
  EXPECT_FALSE(placeholder_index(json::parse(R"({"_placeholder":true})")));
  EXPECT_FALSE(placeholder_index(json::parse("[1]")));
}

TEST(SocketIoDecoder, BoundsTheBytesAPacketsAttachmentsMayHold) {
  Decoder decoder(64, 10);
  ASSERT_TRUE(std::holds_alternative<std::monostate>(decoder.feed_text(
      R"(52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(decoder.feed_binary(std::string(6, 'a'))));
  EXPECT_TRUE(std::holds_alternative<Error>(decoder.feed_binary(std::string(6, 'b'))));
}
