#pragma once
// Internal to net/: one HTTP/1.1 connection, from accept until close or WebSocket hand-over.

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/executor.hpp"
#include "net/http_server.hpp"

namespace net {

// A connection's socket, bound to the connection's strand by its concrete type: the executor is
// copied into every operation, and a type-erased one (any_io_executor) costs a call through a
// table and an allocation-free but wide copy each time.
using HttpSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand>;

// Starts serving requests on an accepted socket. The connection keeps itself alive.
void serve_http_connection(HttpSocket socket, const HttpServerOptions& options,
                           HttpHandler& handler);

}  // namespace net
