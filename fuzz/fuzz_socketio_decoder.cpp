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
  if (a.is_double() && b.is_double()) {
    return a.get_double() == b.get_double() ||
           std::fabs(a.get_double() - b.get_double()) <= 1e-15 * std::fabs(a.get_double());
  }
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, value] : x) {
      const auto* other = y.if_contains(key);
      if (!other || !same_json(value, *other)) return false;
    }
    return true;
  }
  return a == b;
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
