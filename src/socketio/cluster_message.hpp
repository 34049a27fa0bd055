#pragma once
// The values that Socket.IO cluster adapters (@socket.io/redis-adapter) exchange, as JSON: a
// packet is {type, data, nsp[, id]} with numeric types, broadcast options are
// {rooms, except, flags}. A broadcast travels as the MessagePack array [uid, packet, options].

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/packet.hpp"

namespace socketio::cluster {

// {type, data, nsp}, in the order socket.io writes them, plus id when there is an ack id.
// Attachments stay placeholders: msgpack::encode writes them as bin.
boost::json::object packet_to_json(const Packet& packet);
// A packet from another node; nullopt for anything that is not one. A missing nsp is "/".
std::optional<Packet> packet_from_json(const boost::json::value& json,
                                       std::vector<std::string> attachments);

// {rooms, except, flags}; flags has volatile only when set, as Node's broadcast operator.
boost::json::object options_to_json(const BroadcastOptions& options);
// Rooms and except as strings (a number, which Node allows, in decimal); flags.volatile and
// flags.local are read, the other flags ignored. nullopt when rooms or except is not an array.
std::optional<BroadcastOptions> options_from_json(const boost::json::value& json);

struct Broadcast {
  std::string uid;  // of the node that sent it
  Packet packet;
  BroadcastOptions options;
};

// The message published for a broadcast, notepack.io's bytes for the same value.
std::string encode_broadcast(std::string_view uid, const Packet& packet,
                             const BroadcastOptions& options);
// nullopt for bytes that are not such a message.
std::optional<Broadcast> decode_broadcast(std::string_view bytes);

}  // namespace socketio::cluster
