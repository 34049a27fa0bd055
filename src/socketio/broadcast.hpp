#pragma once
// A broadcast being built: nsp.to("a").to("b").except("c").emit("event", args).
// The packet is encoded once and the same bytes go to every recipient.

#include <boost/json/array.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/observer.hpp"
#include "socketio/recovery.hpp"

namespace socketio {

class Broadcast {
 public:
  // `recovery`: the namespace's session store when connection state recovery is on, else null.
  // `observer` hears how long each emit took.
  Broadcast(Adapter& adapter, std::string nsp, SessionStore* recovery = nullptr,
            Observer& observer = Observer::none())
      : adapter_(adapter), nsp_(std::move(nsp)), recovery_(recovery), observer_(observer) {}

  Broadcast& to(std::string room) &;
  Broadcast&& to(std::string room) && { return std::move(to(std::move(room))); }
  Broadcast& except(std::string room) &;
  Broadcast&& except(std::string room) && { return std::move(except(std::move(room))); }
  Broadcast& make_volatile() & {
    options_.flags.is_volatile = true;
    return *this;
  }
  Broadcast&& make_volatile() && { return std::move(make_volatile()); }
  // To this node's sockets only, even with a cluster adapter.
  Broadcast& local() & {
    options_.flags.local = true;
    return *this;
  }
  Broadcast&& local() && { return std::move(local()); }
  // With recovery on: the offset this event carries, for an application that can replay it
  // itself (its SessionStore::missed); without one, the session store records the event.
  Broadcast& offset(std::string offset) & {
    offset_ = std::move(offset);
    return *this;
  }
  Broadcast&& offset(std::string offset) && { return std::move(this->offset(std::move(offset))); }

  void emit(std::string_view event, boost::json::array args = {},
            std::vector<std::string> attachments = {}) const;

 private:
  Adapter& adapter_;
  std::string nsp_;
  SessionStore* recovery_;
  Observer& observer_;
  BroadcastOptions options_;
  std::optional<std::string> offset_;
};

}  // namespace socketio
