#include "socketio/cluster_message.hpp"

#include "socketio/msgpack_value.hpp"

namespace socketio::cluster {

namespace json = boost::json;

namespace {

std::optional<std::vector<std::string>> rooms_from(const json::value* value) {
  std::vector<std::string> rooms;
  if (value == nullptr || value->is_null()) return rooms;
  const auto* array = value->if_array();
  if (array == nullptr) return std::nullopt;
  rooms.reserve(array->size());
  for (const auto& room : *array) {
    if (room.is_string()) {
      rooms.emplace_back(room.get_string());
    } else if (room.is_int64()) {
      rooms.push_back(std::to_string(room.get_int64()));
    } else if (room.is_uint64()) {
      rooms.push_back(std::to_string(room.get_uint64()));
    } else {
      return std::nullopt;
    }
  }
  return rooms;
}

json::array rooms_to(const std::vector<std::string>& rooms) {
  json::array array;
  array.reserve(rooms.size());
  for (const auto& room : rooms) array.emplace_back(room);
  return array;
}

bool flag(const json::object& flags, std::string_view name) {
  const auto* value = flags.if_contains(name);
  return value && value->is_bool() && value->get_bool();
}

}  // namespace

json::object packet_to_json(const Packet& packet) {
  json::object object;
  object["type"] = static_cast<int>(packet.type) - '0';
  if (packet.has_data) object["data"] = packet.data;
  object["nsp"] = packet.nsp;
  if (packet.ack_id) object["id"] = *packet.ack_id;
  return object;
}

std::optional<Packet> packet_from_json(const json::value& value,
                                       std::vector<std::string> attachments) {
  const auto* object = value.if_object();
  if (object == nullptr) return std::nullopt;
  const auto* type = object->if_contains("type");
  if (type == nullptr || !type->is_number()) return std::nullopt;
  const std::int64_t number = type->is_int64() ? type->get_int64()
                              : type->is_uint64() && type->get_uint64() <= 6
                                  ? static_cast<std::int64_t>(type->get_uint64())
                                  : -1;
  if (number < 0 || number > 6) return std::nullopt;
  Packet packet;
  packet.type = static_cast<PacketType>('0' + number);
  // The binary types follow from the attachments when the packet is encoded again.
  if (packet.type == PacketType::binary_event) packet.type = PacketType::event;
  if (packet.type == PacketType::binary_ack) packet.type = PacketType::ack;
  if (const auto* nsp = object->if_contains("nsp")) {
    if (!nsp->is_string()) return std::nullopt;
    packet.nsp = nsp->get_string();
  }
  if (const auto* data = object->if_contains("data")) {
    packet.data = *data;
    packet.has_data = true;
  }
  if (const auto* id = object->if_contains("id"); id && !id->is_null()) {
    if (id->is_uint64()) {
      packet.ack_id = id->get_uint64();
    } else if (id->is_int64() && id->get_int64() >= 0) {
      packet.ack_id = static_cast<std::uint64_t>(id->get_int64());
    } else {
      return std::nullopt;
    }
  }
  // An event is [name, args...]; other packets' data is not checked here.
  if ((packet.type == PacketType::event) &&
      (!packet.data.is_array() || packet.data.get_array().empty() ||
       !packet.data.get_array().front().is_string())) {
    return std::nullopt;
  }
  packet.attachments = std::move(attachments);
  return packet;
}

json::object options_to_json(const BroadcastOptions& options) {
  json::object flags;
  if (options.flags.is_volatile) flags["volatile"] = true;
  json::object object;
  object["rooms"] = rooms_to(options.rooms);
  object["except"] = rooms_to(options.except);
  object["flags"] = std::move(flags);
  return object;
}

std::optional<BroadcastOptions> options_from_json(const json::value& value) {
  const auto* object = value.if_object();
  if (object == nullptr) return std::nullopt;
  auto rooms = rooms_from(object->if_contains("rooms"));
  auto except = rooms_from(object->if_contains("except"));
  if (!rooms || !except) return std::nullopt;
  BroadcastOptions options{std::move(*rooms), std::move(*except), {}};
  if (const auto* flags = object->if_contains("flags"); flags && flags->is_object()) {
    options.flags.is_volatile = flag(flags->get_object(), "volatile");
    options.flags.local = flag(flags->get_object(), "local");
  }
  return options;
}

std::string encode_broadcast(std::string_view uid, const Packet& packet,
                             const BroadcastOptions& options) {
  const json::value message =
      json::array{json::string(uid), packet_to_json(packet), options_to_json(options)};
  std::string out;
  msgpack::encode(message, packet.attachments, out);
  return out;
}

std::optional<Broadcast> decode_broadcast(std::string_view bytes) {
  auto value = msgpack::decode(bytes);
  if (!value) return std::nullopt;
  auto* parts = value->json.if_array();
  if (parts == nullptr || parts->size() != 3 || !(*parts)[0].is_string()) return std::nullopt;
  auto packet = packet_from_json((*parts)[1], std::move(value->attachments));
  auto options = options_from_json((*parts)[2]);
  if (!packet || !options) return std::nullopt;
  return Broadcast{std::string((*parts)[0].get_string()), std::move(*packet), std::move(*options)};
}

}  // namespace socketio::cluster
