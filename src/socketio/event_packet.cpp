#include "socketio/event_packet.hpp"

namespace socketio {

Packet make_event_packet(std::string_view nsp, std::string_view event, boost::json::array args,
                         std::vector<std::string> attachments,
                         std::optional<std::uint64_t> ack_id) {
  boost::json::array data;
  data.reserve(args.size() + 1);
  data.emplace_back(event);
  for (auto& arg : args) data.push_back(std::move(arg));
  Packet packet;
  packet.type = PacketType::event;
  packet.nsp = std::string(nsp);
  packet.ack_id = ack_id;
  packet.data = std::move(data);
  packet.has_data = true;
  packet.attachments = std::move(attachments);
  return packet;
}

}  // namespace socketio
