#pragma once
// Internal to net/: one HTTP/1.1 connection, from accept until close or WebSocket hand-over.

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/http_server.hpp"

namespace net {

// Starts serving requests on an accepted socket. The connection keeps itself alive.
void serve_http_connection(boost::asio::ip::tcp::socket socket, const HttpServerOptions& options,
                           HttpHandler& handler);

}  // namespace net
