#pragma once
// A server-side WebSocket connection, already past its handshake. Every member must be
// called on the connection's strand (executor()); handlers are invoked there too.

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "net/executor.hpp"
#include "net/send_status.hpp"
#include "net/shared_bytes.hpp"

namespace net {

struct WebSocketLimits {
  std::size_t max_message_bytes = 1'000'000;
  // A peer that lets this many bytes pile up unsent is too slow and is dropped.
  std::size_t max_queued_bytes = 4 * 1024 * 1024;
  // How long the opening and the closing handshake may take before the connection is dropped:
  // a peer that never answers our close frame (or stopped reading) holds its socket no longer,
  // and a graceful shutdown shorter than this still ends with every connection gone.
  std::chrono::milliseconds handshake_timeout{5'000};
};

class WebSocket;

// What hears a WebSocket's messages and its end: an interface rather than two std::function
// members, so that an idle connection holds one pointer instead of two type-erased handlers
// (and their heap blocks). Called on the connection's strand.
class WebSocketListener {
 public:
  virtual void on_websocket_message(const WebSocket& from, std::string&& data, bool binary) = 0;
  // Called once, when the connection is gone: a net::Error, or the socket's own error code.
  virtual void on_websocket_closed(const WebSocket& from, boost::system::error_code reason) = 0;

 protected:
  ~WebSocketListener() = default;
};

class WebSocket {
 public:
  virtual ~WebSocket() = default;
  virtual Strand executor() const = 0;
  // Starts the read loop. The listener is dropped after on_websocket_closed, which breaks
  // reference cycles.
  virtual void start(std::shared_ptr<WebSocketListener> listener) = 0;
  // Queues one message. Messages are written in order, one frame each.
  virtual SendStatus send(SharedBytes bytes, bool binary) = 0;
  // Messages sent between cork() and uncork() leave together, in as few writes as the socket
  // allows, instead of each in a write of its own as soon as nothing else is being written.
  // Corks nest: the last uncork() sends.
  virtual void cork() = 0;
  virtual void uncork() = 0;
  // Bytes accepted by send() and not yet written to the socket.
  virtual std::size_t queued_bytes() const = 0;
  // Sends what is queued, then a close frame; on_close follows.
  virtual void close() = 0;
};

using WebSocketPtr = std::shared_ptr<WebSocket>;

// WebSocket connections alive in this process, open or closing (for shutdown and metrics).
std::size_t live_websocket_count();

}  // namespace net
