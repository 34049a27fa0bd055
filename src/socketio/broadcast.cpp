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
  const auto started = std::chrono::steady_clock::now();
  auto packet = make_event_packet(nsp_, event, std::move(args), std::move(attachments));
  // As the Node server does: every broadcast event that is not volatile carries its offset as
  // its last argument, which the client records.
  if (recovery_ && !options_.flags.is_volatile) {
    auto offset = offset_ ? offset_ : recovery_->record(packet, options_);
    if (offset) packet.data.as_array().emplace_back(boost::json::string(std::move(*offset)));
  }
  adapter_.broadcast(packet, options_);
  observer_.broadcast_emitted(std::chrono::steady_clock::now() - started);
}

}  // namespace socketio
