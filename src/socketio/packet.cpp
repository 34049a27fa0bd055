#include "socketio/packet.hpp"

#include <boost/json/serialize.hpp>

namespace socketio {

std::vector<engineio::SharedPacket> encode(const Packet& packet) {
  auto type = packet.type;
  if (!packet.attachments.empty()) {
    if (type == PacketType::event) type = PacketType::binary_event;
    if (type == PacketType::ack) type = PacketType::binary_ack;
  }
  std::string text;
  text.push_back(static_cast<char>(engineio::PacketType::message));
  text.push_back(static_cast<char>(type));
  if (type == PacketType::binary_event || type == PacketType::binary_ack) {
    text += std::to_string(packet.attachments.size());
    text.push_back('-');
  }
  if (packet.nsp != "/") {
    text += packet.nsp;
    text.push_back(',');
  }
  if (packet.ack_id) text += std::to_string(*packet.ack_id);
  if (packet.has_data) text += boost::json::serialize(packet.data);

  std::vector<engineio::SharedPacket> out;
  out.reserve(1 + packet.attachments.size());
  out.push_back(std::make_shared<const engineio::EncodedPacket>(
      engineio::EncodedPacket{std::move(text), false}));
  for (const auto& attachment : packet.attachments) {
    out.push_back(engineio::encode_binary_message(attachment));
  }
  return out;
}

boost::json::value binary_placeholder(std::size_t index) {
  return {{"_placeholder", true}, {"num", index}};
}

std::optional<std::size_t> placeholder_index(const boost::json::value& value) {
  const auto* object = value.if_object();
  if (!object || object->size() != 2) return std::nullopt;
  const auto* flag = object->if_contains("_placeholder");
  const auto* num = object->if_contains("num");
  if (!flag || !num || !flag->is_bool() || !flag->get_bool()) return std::nullopt;
  if (num->is_uint64()) return static_cast<std::size_t>(num->get_uint64());
  if (num->is_int64() && num->get_int64() >= 0) return static_cast<std::size_t>(num->get_int64());
  return std::nullopt;
}

}  // namespace socketio
