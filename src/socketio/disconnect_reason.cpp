#include "socketio/disconnect_reason.hpp"

namespace socketio {

std::string_view to_string(DisconnectReason reason) {
  switch (reason) {
    case DisconnectReason::transport_close:
      return "transport close";
    case DisconnectReason::transport_error:
      return "transport error";
    case DisconnectReason::ping_timeout:
      return "ping timeout";
    case DisconnectReason::parse_error:
      return "parse error";
    case DisconnectReason::server_namespace_disconnect:
      return "server namespace disconnect";
    case DisconnectReason::client_namespace_disconnect:
      return "client namespace disconnect";
    case DisconnectReason::server_shutting_down:
      return "server shutting down";
    case DisconnectReason::forced_close:
      return "forced close";
  }
  return "transport error";
}

DisconnectReason disconnect_reason_of(engineio::CloseReason reason) {
  using engineio::CloseReason;
  switch (reason) {
    case CloseReason::transport_close:
      return DisconnectReason::transport_close;
    case CloseReason::ping_timeout:
      return DisconnectReason::ping_timeout;
    case CloseReason::parse_error:
      return DisconnectReason::parse_error;
    case CloseReason::forced_close:
      return DisconnectReason::forced_close;
    case CloseReason::server_shutting_down:
      return DisconnectReason::server_shutting_down;
    // The reference server reports an oversized payload as a transport error; a client that
    // cannot keep up has, from its side, lost its connection.
    case CloseReason::payload_too_large:
    case CloseReason::send_buffer_overflow:
    case CloseReason::transport_error:
      return DisconnectReason::transport_error;
  }
  return DisconnectReason::transport_error;
}

bool is_connection_lost(DisconnectReason reason) {
  return reason == DisconnectReason::transport_close ||
         reason == DisconnectReason::transport_error || reason == DisconnectReason::ping_timeout;
}

}  // namespace socketio
