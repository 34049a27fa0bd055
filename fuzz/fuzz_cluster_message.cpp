// The MessagePack that other nodes of a Socket.IO cluster publish on Redis, every byte
// untrusted: the input is decoded as a broadcast message [uid, packet, options]
// (socketio::cluster::decode_broadcast) and as a bare value (socketio::msgpack::decode). A value
// that decodes encodes to bytes that decode to the same value again; a broadcast's packet
// encodes for clients.

#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "socketio/cluster_message.hpp"
#include "socketio/msgpack_value.hpp"

namespace {

namespace json = boost::json;

// Equal as JavaScript would see them: numbers by value (an integral double is written as an
// integer), the rest exactly.
bool same(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) {
      const double x = a.to_number<double>(), y = b.to_number<double>();
      return x == y || (std::isnan(x) && std::isnan(y));
    }
    return a == b;
  }
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, value] : x) {
      const auto* other = y.if_contains(key);
      if (!other || !same(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (auto message = socketio::cluster::decode_broadcast(bytes)) {
    FUZZ_CHECK(!socketio::encode(message->packet).empty());
    const auto again = socketio::cluster::decode_broadcast(
        socketio::cluster::encode_broadcast(message->uid, message->packet, message->options));
    FUZZ_CHECK(again && again->uid == message->uid &&
               again->options.rooms == message->options.rooms &&
               again->options.except == message->options.except);
  }

  if (auto value = socketio::msgpack::decode(bytes)) {
    std::string encoded;
    socketio::msgpack::encode(value->json, value->attachments, encoded);
    auto again = socketio::msgpack::decode(encoded);
    FUZZ_CHECK(again && same(value->json, again->json) && again->attachments == value->attachments);
  }
  return 0;
}
