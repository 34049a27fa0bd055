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
#include "same_json.hpp"
#include "socketio/cluster_message.hpp"
#include "socketio/msgpack_value.hpp"

namespace {

namespace json = boost::json;

// Equal as JavaScript would see them: numbers by value (an integral double is written as an
// integer), the rest exactly.
bool same(const json::value& a, const json::value& b) {
  return same_json(a, b, [](const json::value& x, const json::value& y) {
    if (!x.is_double() && !y.is_double()) return x == y;
    const double u = x.to_number<double>(), v = y.to_number<double>();
    return u == v || (std::isnan(u) && std::isnan(v));
  });
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
