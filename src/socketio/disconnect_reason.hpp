#pragma once
// Why a socket left its namespace: the reasons a socket.io server gives its "disconnect"
// handlers (as socketioxide's DisconnectReason), so that an application can tell a lost
// connection, which may come back, from a deliberate end.

#include <string_view>

#include "engineio/close_reason.hpp"

namespace socketio {

enum class DisconnectReason {
  transport_close,              // the client closed its connection
  transport_error,              // the connection failed, or the client was too slow
  ping_timeout,                 // the client stopped answering heartbeats
  parse_error,                  // the client sent something that does not decode
  server_namespace_disconnect,  // Socket::disconnect()
  client_namespace_disconnect,  // the client's socket.disconnect()
  server_shutting_down,
  forced_close,  // the server application closed the whole connection
};

std::string_view to_string(DisconnectReason reason);

// How the end of the Engine.IO session reads for each socket on it.
DisconnectReason disconnect_reason_of(engineio::CloseReason reason);

// True when the client did not choose to leave and nobody sent it away: it may well come back.
bool is_connection_lost(DisconnectReason reason);

}  // namespace socketio
