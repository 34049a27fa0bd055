#pragma once
// The contract between the HTTP server and whatever answers its requests.

#include <cstddef>
#include <functional>
#include <memory>

#include "net/http_message.hpp"
#include "net/websocket.hpp"

namespace net {

// One request waiting for its answer. A handler may keep it as long as it likes (long-polling)
// and answer from any thread; the connection reads nothing more until then.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  // Answers the request. Only the first call counts.
  virtual void respond(HttpResponse response) = 0;
  // Answers the request and calls `on_sent` once the response is written (or cannot be).
  virtual void respond_then(HttpResponse response, std::function<void()> on_sent) {
    respond(std::move(response));
    on_sent();
  }
  // For a request with websocket_upgrade set: completes the WebSocket handshake with the socket
  // moved onto `executor`, then calls on_open there (with nullptr if the handshake failed).
  virtual void accept_websocket(Strand executor, const WebSocketLimits& limits,
                                std::function<void(WebSocketPtr)> on_open) = 0;
  // Calls `callback` once, on any thread, if the client closes its connection (or it fails)
  // before this request is answered: for a handler that holds a request long (a long-poll),
  // which otherwise learns of the client's leaving only when its answer fails. The default
  // never calls it.
  virtual void on_client_gone(std::function<void()> /*callback*/) {}
};

using HttpExchangePtr = std::shared_ptr<HttpExchange>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // `request` has its headers and, unless it is a WebSocket upgrade, its body.
  virtual void handle(HttpRequest&& request, HttpExchangePtr exchange) = 0;
  // The body size this request may have; asked once its headers are in.
  virtual std::size_t max_body_bytes(const HttpRequest& head) const = 0;
  // The body was over max_body_bytes; the default answers 413.
  virtual void handle_oversized(HttpRequest&& head, HttpExchangePtr exchange);
};

}  // namespace net
