#pragma once
// What an application may want to count about the Engine.IO server (for metrics): refused
// handshakes, packets that were not sent, and why sessions ended. The server calls these on
// whichever thread the event happens, so an implementation must be thread-safe and cheap (an
// atomic increment): some are called per packet. The defaults do nothing.

#include <cstddef>
#include <cstdint>

#include "engineio/close_reason.hpp"
#include "engineio/no_vptr_check.hpp"
#include "net/send_status.hpp"

namespace engineio {

// Why a handshake that asked for a new session got none.
enum class HandshakeRefusal : std::uint8_t {
  request_filter,  // Server::RequestFilter refused it (403)
  address_cap,     // max_sessions_per_address, here or through the AddressQuota (429)
  session_cap,     // max_sessions (503)
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void handshake_refused(HandshakeRefusal) {}
  // `count` packets handed to a session were not sent; `why` is one of the dropped statuses.
  virtual void packets_dropped(net::SendStatus /*why*/, std::size_t /*count*/) {}
  virtual void session_closed(CloseReason) {}

  // The observer of a server that was given none.
  static Observer& none() {
    static Observer nothing;
    return nothing;
  }
};

}  // namespace engineio
