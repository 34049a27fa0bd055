#include "socketio/broadcast.hpp"

#include "socketio/event_packet.hpp"

namespace socketio {

Broadcast& Broadcast::to(std::string room) & {
  options_.rooms.push_back(std::move(room));
  return *this;
}

Broadcast& Broadcast::except(std::string room) & {
  options_.except.push_back(std::move(room));
  return *this;
}

void Broadcast::emit(std::string_view event, boost::json::array args,
                     std::vector<std::string> attachments) const {
  adapter_.broadcast(make_event_packet(nsp_, event, std::move(args), std::move(attachments)),
                     options_);
}

}  // namespace socketio
