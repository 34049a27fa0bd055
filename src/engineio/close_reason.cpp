#include "engineio/close_reason.hpp"

#include "net/error.hpp"

namespace engineio {

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::transport_close:
      return "transport close";
    case CloseReason::transport_error:
      return "transport error";
    case CloseReason::ping_timeout:
      return "ping timeout";
    case CloseReason::parse_error:
      return "parse error";
    case CloseReason::payload_too_large:
      return "payload too large";
    case CloseReason::send_buffer_overflow:
      return "send buffer overflow";
    case CloseReason::forced_close:
      return "forced close";
    case CloseReason::server_shutting_down:
      return "server shutting down";
  }
  return "transport error";
}

CloseReason close_reason_of_websocket(boost::system::error_code ec) {
  if (ec == net::Error::closed_by_peer) return CloseReason::transport_close;
  if (ec == net::Error::message_too_big) return CloseReason::payload_too_large;
  if (ec == net::Error::protocol_violation) return CloseReason::parse_error;
  if (ec == net::Error::send_queue_overflow) return CloseReason::send_buffer_overflow;
  return CloseReason::transport_error;
}

}  // namespace engineio
