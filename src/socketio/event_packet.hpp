#pragma once

#include <optional>

#include "socketio/packet.hpp"

namespace socketio {

// The EVENT packet for emit(event, args...): data is [event, args...].
Packet make_event_packet(std::string_view nsp, std::string_view event, boost::json::array args,
                         std::vector<std::string> attachments,
                         std::optional<std::uint64_t> ack_id = std::nullopt);

}  // namespace socketio
