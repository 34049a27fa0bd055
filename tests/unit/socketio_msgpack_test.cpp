// The MessagePack of the cluster messages: our bytes equal notepack.io's for the same value,
// Node's bytes decode to the same packet, and untrusted bytes are refused cleanly.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "socketio/cluster_message.hpp"
#include "socketio/msgpack_value.hpp"

namespace {

namespace json = boost::json;
using socketio::BroadcastOptions;
using socketio::Packet;

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

// Written by notepack.io 3 (what @socket.io/redis-adapter 8.3 publishes) for
//   ["Ab3dE6", {type: 2, data: ["comment.created", {id: 7, comment: "ciao è", ok: true,
//     n: null, x: -3, f: 1.5, big: 70000}], nsp: "/ws/internal"},
//    {rooms: ["report:1"], except: [], flags: {}}]
// with node -e 'console.log(require("notepack.io").encode([...]).toString("hex"))'.
constexpr std::string_view kNodeBroadcast =
    "93a641623364453683a47479706502a46461746192af636f6d6d656e742e6372656174656487a2696407a763"
    "6f6d6d656e74a76369616f20c3a8a26f6bc3a16ec0a178fda166cb3ff8000000000000a3626967ce00011170"
    "a36e7370ac2f77732f696e7465726e616c83a5726f6f6d7391a87265706f72743a31a665786365707490a566"
    "6c61677380";
// The same for ["Ab3dE6", {type: 2, data: ["bin", Buffer.from([1, 2, 3])], nsp: "/"},
//   {rooms: ["a", "b"], except: ["c"], flags: {volatile: true}}].
constexpr std::string_view kNodeBinaryBroadcast =
    "93a641623364453683a47479706502a46461746192a362696ec403010203a36e7370a12f83a5726f6f6d7392"
    "a161a162a665786365707491a163a5666c61677381a8766f6c6174696c65c3";

Packet comment_packet() {
  Packet packet;
  packet.nsp = "/ws/internal";
  packet.has_data = true;
  packet.data = json::parse(
      R"(["comment.created",{"id":7,"comment":"ciao è","ok":true,"n":null,"x":-3,"f":1.5,"big":70000}])");
  return packet;
}

TEST(ClusterMessage, OurBroadcastIsTheBytesNodeWrites) {
  BroadcastOptions options;
  options.rooms = {"report:1"};
  EXPECT_EQ(socketio::cluster::encode_broadcast("Ab3dE6", comment_packet(), options),
            from_hex(kNodeBroadcast));

  Packet binary;
  binary.has_data = true;
  binary.data = json::array{"bin", socketio::binary_placeholder(0)};
  binary.attachments = {std::string("\x01\x02\x03", 3)};
  BroadcastOptions volatile_options;
  volatile_options.rooms = {"a", "b"};
  volatile_options.except = {"c"};
  volatile_options.flags.is_volatile = true;
  EXPECT_EQ(socketio::cluster::encode_broadcast("Ab3dE6", binary, volatile_options),
            from_hex(kNodeBinaryBroadcast));
}

TEST(ClusterMessage, NodesBroadcastDecodesToThePacket) {
  auto message = socketio::cluster::decode_broadcast(from_hex(kNodeBroadcast));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->uid, "Ab3dE6");
  EXPECT_EQ(message->packet.type, socketio::PacketType::event);
  EXPECT_EQ(message->packet.nsp, "/ws/internal");
  EXPECT_EQ(message->packet.data, comment_packet().data);
  EXPECT_EQ(message->options.rooms, std::vector<std::string>{"report:1"});
  EXPECT_TRUE(message->options.except.empty());
  EXPECT_FALSE(message->options.flags.is_volatile);

  auto binary = socketio::cluster::decode_broadcast(from_hex(kNodeBinaryBroadcast));
  ASSERT_TRUE(binary);
  EXPECT_EQ(json::serialize(binary->packet.data), R"(["bin",{"_placeholder":true,"num":0}])");
  EXPECT_EQ(binary->packet.attachments, std::vector<std::string>{std::string("\x01\x02\x03", 3)});
  EXPECT_EQ(binary->options.except, std::vector<std::string>{"c"});
  EXPECT_TRUE(binary->options.flags.is_volatile);
  // And the client gets it as the binary event socket.io would send.
  const auto encoded = socketio::encode(binary->packet);
  ASSERT_EQ(encoded.size(), 2u);
  EXPECT_EQ(encoded[0]->bytes, R"(451-["bin",{"_placeholder":true,"num":0}])");
}

TEST(MsgpackValue, RoundTripsEveryKind) {
  const auto value = json::parse(
      R"({"a":[1,-1,-33,128,-129,65536,-40000,4294967296,-4294967296,18446744073709551615,
          0.25,-1e300,true,false,null,"","x","é€😀"],"nested":{"k":[[[]]],"o":{}}})");
  std::string bytes;
  socketio::msgpack::encode(value, {}, bytes);
  auto back = socketio::msgpack::decode(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->json, value);
  EXPECT_TRUE(back->attachments.empty());
}

TEST(MsgpackValue, LongStringsArraysAndBinaryUseTheWiderForms) {
  const std::string long_text(70000, 'y');
  json::array many(20, json::value(1));
  const std::vector<std::string> attachments{std::string(300, '\x00')};
  const json::value value =
      json::array{json::string(long_text), many, socketio::binary_placeholder(0)};
  std::string bytes;
  socketio::msgpack::encode(value, attachments, bytes);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0xdb);  // str 32
  auto back = socketio::msgpack::decode(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->json, value);
  EXPECT_EQ(back->attachments, attachments);
}

TEST(MsgpackValue, IntegralDoublesAreWrittenAsIntegersAsInJavaScript) {
  std::string bytes;
  socketio::msgpack::encode(json::value(3.0), {}, bytes);
  EXPECT_EQ(bytes, "\x03");
}

TEST(MsgpackValue, ADateBecomesItsIsoString) {
  // notepack.io: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), a timestamp 64.
  const auto date = socketio::msgpack::decode(from_hex("d7ffa1a5d60065937d25"));
  ASSERT_TRUE(date);
  EXPECT_EQ(date->json, json::value("2024-01-02T03:04:05.678Z"));
  // new Date(0), a timestamp 32.
  const auto epoch = socketio::msgpack::decode(from_hex("d6ff00000000"));
  ASSERT_TRUE(epoch);
  EXPECT_EQ(epoch->json, json::value("1970-01-01T00:00:00.000Z"));
}

TEST(MsgpackValue, RefusesWhatIsNotOneCleanValue) {
  const std::vector<std::string> bad{
      "",
      from_hex("92a161"),      // an array cut short
      from_hex("a3616263ff"),  // bytes after the value
      from_hex("a2c328"),      // a string that is not UTF-8
      from_hex("810102"),      // a map key that is not a string
      // {"_placeholder": true, "num": 0}: binary data is bin, never a map
      from_hex("82ac5f706c616365686f6c646572c3a36e756d00"),
      from_hex("d40100"),        // an extension other than the timestamp
      from_hex("d6ff"),          // a timestamp cut short
      from_hex("c1"),            // the never-used byte
      from_hex("dbffffffff61"),  // a string longer than the input
      // {"a": <bin>, "a": 1}: a key twice, the binary value's attachment orphaned
      from_hex("82a161c40101a16101"),
  };
  for (const auto& bytes : bad) EXPECT_FALSE(socketio::msgpack::decode(bytes)) << bytes.size();

  std::string deep(socketio::msgpack::kMaxDepth + 1, '\x91');
  deep.push_back('\x01');
  EXPECT_FALSE(socketio::msgpack::decode(deep));
  deep.erase(0, 1);
  EXPECT_TRUE(socketio::msgpack::decode(deep));
  // Deep nesting far past the limit costs no stack.
  EXPECT_FALSE(socketio::msgpack::decode(std::string(1'000'000, '\x91') + "\x01"));
  // Counts of elements that the input cannot hold (found by fuzz_cluster_message: msgpuck's
  // mp_check overflows on them and let this through).
  EXPECT_FALSE(socketio::msgpack::decode(from_hex("81a161940100d2ff90eea1dddddddddd73")));
  EXPECT_FALSE(socketio::msgpack::decode(from_hex("dfffffffff01")));
}

TEST(ClusterMessage, RefusesMessagesOfTheWrongShape) {
  auto encode = [](std::string_view json_text) {
    std::string bytes;
    socketio::msgpack::encode(json::parse(json_text), {}, bytes);
    return bytes;
  };
  for (const char* text : {
           R"(["u",{"type":2,"data":["e"]}])",                 // two parts
           R"([1,{"type":2,"data":["e"]},{}])",                // uid not a string
           R"(["u",{"type":9,"data":["e"]},{}])",              // no such type
           R"(["u",{"type":2,"data":[1]},{}])",                // event without name
           R"(["u",{"type":2,"data":["e"],"nsp":3},{}])",      // nsp not a string
           R"(["u",{"type":2,"data":["e"]},{"rooms":"a"}])",   // rooms not a list
           R"(["u",{"type":2,"data":["e"]},{"rooms":[{}]}])",  // a room object
           R"(["u",{"type":2,"data":["e"],"id":-1},{}])",      // bad ack id
       }) {
    EXPECT_FALSE(socketio::cluster::decode_broadcast(encode(text))) << text;
  }
  auto fine =
      socketio::cluster::decode_broadcast(encode(R"(["u",{"type":2,"data":["e"]},{"rooms":[5]}])"));
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->packet.nsp, "/");
  EXPECT_EQ(fine->options.rooms, std::vector<std::string>{"5"});
}

// An array32 of `count` nils: one byte per value on the wire.
std::string nils(std::uint32_t count) {
  std::string bytes("\xdd", 1);
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((count >> shift) & 0xff);
  bytes.append(count, '\xc0');
  return bytes;
}

TEST(MsgpackValue, AMessageHoldsAtMostMaxValues) {
  // The array itself is a value too.
  EXPECT_TRUE(socketio::msgpack::decode(nils(socketio::msgpack::kMaxValues - 1)));
  EXPECT_FALSE(socketio::msgpack::decode(nils(socketio::msgpack::kMaxValues)))
      << "one-byte values would otherwise cost many times their size decoded";
}

}  // namespace
