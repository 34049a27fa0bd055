#pragma once
// A server-side WebSocket connection, already past its handshake. Every member must be
// called on the connection's strand (executor()); handlers are invoked there too.

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
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

class WebSocket {
 public:
  struct Handlers {
    std::function<void(std::string&& data, bool binary)> on_message;
    // Called once, when the connection is gone: a net::Error, or the socket's own error code.
    std::function<void(boost::system::error_code reason)> on_close;
  };

  virtual ~WebSocket() = default;
  virtual Strand executor() const = 0;
  // Starts the read loop. Handlers are dropped after on_close, which breaks reference cycles.
  virtual void start(Handlers handlers) = 0;
  // Queues one message. Messages are written in order, one frame each.
  virtual SendStatus send(SharedBytes bytes, bool binary) = 0;
  // Bytes accepted by send() and not yet written to the socket.
  virtual std::size_t queued_bytes() const = 0;
  // Sends what is queued, then a close frame; on_close follows.
  virtual void close() = 0;
};

using WebSocketPtr = std::shared_ptr<WebSocket>;

// WebSocket connections alive in this process, open or closing (for shutdown and metrics).
std::size_t live_websocket_count();

}  // namespace net
