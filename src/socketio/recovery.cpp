#include "socketio/recovery.hpp"

namespace socketio {

bool is_recoverable(DisconnectReason reason) {
  // A server going away (a deploy, a restart) did not send its clients away for good.
  return is_connection_lost(reason) || reason == DisconnectReason::server_shutting_down;
}

std::string_view offset_of(const Packet& packet) {
  if (packet.type != PacketType::event) return {};
  const auto* args = packet.data.if_array();
  if (!args || args->size() < 2 || !args->back().is_string()) return {};
  return args->back().get_string();
}

}  // namespace socketio
