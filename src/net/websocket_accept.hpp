#pragma once
// Internal to net/: turns an upgrade request on a socket into an open WebSocket.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <string>

#include "net/websocket.hpp"

namespace net {

// A WebSocket's socket runs on the io_context's executor (small); its handlers on its strand.
using WebSocketSocket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, IoContext::executor_type>;

// `socket` must belong to `executor`'s io_context; on_open runs there with the WebSocket, or with
// nullptr when the handshake fails. `early_bytes` are what the client sent right after the request
// (read along with it): they are the start of its first frame.
void accept_websocket(WebSocketSocket socket, Strand executor,
                      boost::beast::http::request<boost::beast::http::string_body> request,
                      std::string early_bytes, const WebSocketLimits& limits,
                      std::function<void(WebSocketPtr)> on_open);

}  // namespace net
