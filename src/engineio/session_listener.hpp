#pragma once
// What an Engine.IO session tells the layer above it (a Socket.IO client, an echo server): the
// messages it receives and its end. An interface rather than two std::functions: the session
// holds one pointer, and the listener, typically an object that exists per session anyway,
// needs no separate heap block for each handler's captures.

#include <string>

#include "engineio/close_reason.hpp"

namespace engineio {

class SessionListener {
 public:
  // On the session's strand, in the order the client sent them.
  virtual void on_session_message(std::string&& data, bool binary) = 0;
  // On the session's strand, once; the session then drops its listener.
  virtual void on_session_closed(CloseReason reason) = 0;

 protected:
  ~SessionListener() = default;
};

}  // namespace engineio
