#pragma once
// What an application may want to count about the Socket.IO server (for metrics): refused
// CONNECTs, packets a socket did not pass on to its Engine.IO session, and how long broadcasts
// take. The server calls these on whichever thread the event happens, so an implementation must
// be thread-safe and cheap: some are called per packet or per broadcast. The defaults do nothing.
// What happens below, in the Engine.IO sessions, has its own engineio::Observer.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "net/send_status.hpp"

namespace socketio {

// Why a CONNECT to a namespace got a CONNECT_ERROR.
enum class ConnectRefusal : std::uint8_t {
  invalid_namespace,  // no such namespace on this server
  middleware,         // a middleware of the namespace refused it (or failed)
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void connect_refused(ConnectRefusal) {}
  // `count` packets for a socket were not handed to its session; `why` is a dropped status.
  virtual void packets_dropped(net::SendStatus /*why*/, std::size_t /*count*/) {}
  // A broadcast emitted on this server was encoded and handed to the adapter (which delivers it
  // to this server's sockets and, for a cluster adapter, passes it on to the other servers).
  virtual void broadcast_emitted(std::chrono::steady_clock::duration /*took*/) {}

  // The observer of a server that was given none.
  static Observer& none() {
    static Observer nothing;
    return nothing;
  }
};

}  // namespace socketio
