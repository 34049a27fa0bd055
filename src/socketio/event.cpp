#include "socketio/event.hpp"

#include "socketio/namespace.hpp"

namespace socketio {

Event::Event(std::shared_ptr<Socket> socket, Packet&& packet)
    : socket_(std::move(socket)),
      attachments_(std::move(packet.attachments)),
      ack_id_(packet.ack_id) {
  // The decoder guarantees a non-empty array whose first element is a string.
  auto& data = packet.data.as_array();
  name_ = std::string(data[0].as_string());
  args_.reserve(data.size() - 1);
  for (std::size_t i = 1; i < data.size(); ++i) args_.push_back(std::move(data[i]));
}

const boost::json::value& Event::arg(std::size_t i) const {
  static const boost::json::value null;
  return i < args_.size() ? args_[i] : null;
}

void Event::ack(boost::json::array args, std::vector<std::string> attachments) {
  if (!ack_id_) return;
  Packet packet;
  packet.type = PacketType::ack;
  packet.nsp = socket_->nsp().name();
  packet.ack_id = std::exchange(ack_id_, std::nullopt);
  packet.data = std::move(args);
  packet.has_data = true;
  packet.attachments = std::move(attachments);
  socket_->send_packet(std::move(packet));
}

}  // namespace socketio
