// The Socket.IO messages of one connection, as Engine.IO hands them over: the input is split at
// 0x1e into messages, and a message starting with 'b' is a binary attachment (the rest, raw),
// any other a text packet. Messages are fed to one Decoder until it reports an error, as a
// connection would be closed then. Every packet decoded must encode to messages that decode to
// the same packet.

#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "check.hpp"
#include "same_json.hpp"
#include "socketio/decoder.hpp"

namespace {

using socketio::DecodeResult;
using socketio::Packet;

constexpr std::size_t kMaxAttachments = 8;
constexpr std::size_t kMaxAttachmentBytes = 4096;

DecodeResult feed(socketio::Decoder& decoder, std::string_view message) {
  if (message.starts_with('b')) return decoder.feed_binary(std::string(message.substr(1)));
  return decoder.feed_text(message);
}

// JSON equality, except that a double may come back one rounding step off: Boost.JSON's default
// parser is not correctly rounded for numbers with very many digits, which clients never send.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  return ::same_json(a, b, [](const boost::json::value& x, const boost::json::value& y) {
    if (!x.is_double() || !y.is_double()) return x == y;
    return x.get_double() == y.get_double() ||
           std::fabs(x.get_double() - y.get_double()) <= 1e-15 * std::fabs(x.get_double());
  });
}

bool same(const Packet& a, const Packet& b) {
  return a.type == b.type && a.nsp == b.nsp && a.ack_id == b.ack_id && a.has_data == b.has_data &&
         same_json(a.data, b.data) && a.attachments == b.attachments;
}

void check_round_trip(const Packet& packet) {
  socketio::Decoder decoder(kMaxAttachments, kMaxAttachmentBytes);
  DecodeResult result;
  for (const auto& encoded : socketio::encode(packet)) {
    if (encoded->binary) {
      result = decoder.feed_binary(std::string(encoded->bytes));
    } else {
      // Text packets are Engine.IO messages: "4" and the Socket.IO packet.
      FUZZ_CHECK(encoded->bytes.starts_with('4'));
      result = decoder.feed_text(std::string_view(encoded->bytes).substr(1));
    }
  }
  const auto* again = std::get_if<Packet>(&result);
  FUZZ_CHECK(again && same(packet, *again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  socketio::Decoder decoder(kMaxAttachments, kMaxAttachmentBytes);
  while (true) {
    const auto separator = input.find('\x1e');
    const auto result = feed(decoder, input.substr(0, separator));
    if (std::holds_alternative<socketio::Error>(result)) break;
    if (const auto* packet = std::get_if<Packet>(&result)) {
      FUZZ_CHECK(packet->attachments.size() <= kMaxAttachments);
      check_round_trip(*packet);
    }
    if (separator == std::string_view::npos) break;
    input.remove_prefix(separator + 1);
  }
  return 0;
}
