#pragma once
// Why an Engine.IO session ended. The names are the reference server's close reasons.

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <string_view>

namespace engineio {

enum class CloseReason : std::uint8_t {
  transport_close,       // the client closed its transport or sent a close packet
  transport_error,       // the transport failed, or the client broke the protocol's rules of use
  ping_timeout,          // no pong within the ping timeout
  parse_error,           // a packet or payload that does not decode
  payload_too_large,     // a message or POST body over maxPayload
  send_buffer_overflow,  // the client let more than the limit pile up: too slow
  forced_close,          // the application closed the session
  server_shutting_down,
};

std::string_view to_string(CloseReason reason);

// How the end of a session's WebSocket (net::Error, or the socket's error) reads as a reason.
CloseReason close_reason_of_websocket(boost::system::error_code ec);

}  // namespace engineio
