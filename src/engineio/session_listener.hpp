#pragma once
// What an Engine.IO session tells the layer above it (a Socket.IO client, an echo server): the
// messages it receives and its end. An interface rather than two std::functions: the session
// holds one pointer, and the listener, typically an object that exists per session anyway,
// needs no separate heap block for each handler's captures. Each call names its session, so
// that one listener may serve many (as net::WebSocketListener's calls name their WebSocket).

#include <string>

#include "engineio/close_reason.hpp"

namespace engineio {

class Session;

class SessionListener {
 public:
  // On the session's strand, in the order the client sent them.
  virtual void on_session_message(Session& from, std::string&& data, bool binary) = 0;
  // On the session's strand, once; the session then drops its listener.
  virtual void on_session_closed(Session& from, CloseReason reason) = 0;

 protected:
  ~SessionListener() = default;
};

}  // namespace engineio
