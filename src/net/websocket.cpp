#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <vector>

#include "net/websocket_accept.hpp"

namespace net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// A read buffer that grew for one large message is given back afterwards, so that an idle
// connection holds only a small one.
constexpr std::size_t kIdleReadBufferBytes = 16 * 1024;
constexpr std::chrono::seconds kCloseTimeout{5};

std::atomic<std::size_t> live_websockets{0};

class BeastWebSocket final : public WebSocket, public std::enable_shared_from_this<BeastWebSocket> {
 public:
  BeastWebSocket(tcp::socket socket, Strand executor, const WebSocketLimits& limits)
      : ws_(std::move(socket)), executor_(executor), limits_(limits) {
    ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                   websocket::stream_base::none(), false});
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "reportd"); }));
    ws_.read_message_max(limits.max_message_bytes);
    // Engine.IO carries one packet per frame, so messages are never split.
    ws_.auto_fragment(false);
    ++live_websockets;
  }

  ~BeastWebSocket() override { --live_websockets; }

  void accept(beast::http::request<beast::http::string_body> request,
              std::function<void(WebSocketPtr)> on_open) {
    request_ = std::move(request);
    ws_.async_accept(
        request_, [self = shared_from_this(), on_open = std::move(on_open)](beast::error_code ec) {
          self->request_ = {};
          on_open(ec ? nullptr : self);
        });
  }

  Strand executor() const override { return executor_; }

  void start(Handlers handlers) override {
    handlers_ = std::move(handlers);
    read();
  }

  void send(SharedBytes bytes, bool binary) override {
    if (closed_ || closing_) return;
    queued_bytes_ += bytes->size();
    if (queued_bytes_ > limits_.max_queued_bytes) {
      abort("send queue overflow");
      return;
    }
    queue_.push_back({std::move(bytes), binary});
    if (!writing_) write_next();
  }

  std::size_t queued_bytes() const override { return queued_bytes_; }

  void close() override {
    if (closed_ || closing_) return;
    closing_ = true;
    // A peer that stopped reading would keep a graceful close waiting forever.
    close_timer_ = std::make_unique<asio::steady_timer>(executor_, kCloseTimeout);
    close_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->abort("close timeout");
    });
    if (!writing_) close_handshake();
  }

 private:
  struct Outgoing {
    SharedBytes bytes;
    bool binary;
  };

  void read() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      finish(ec == websocket::error::closed ? "transport close" : "transport error");
      return;
    }
    std::string data = beast::buffers_to_string(read_buffer_.data());
    if (read_buffer_.capacity() > kIdleReadBufferBytes) {
      read_buffer_ = beast::flat_buffer();
    } else {
      read_buffer_.clear();
    }
    if (handlers_.on_message) handlers_.on_message(std::move(data), ws_.got_binary());
    if (!closed_) read();
  }

  void write_next() {
    writing_ = true;
    const auto& next = queue_.front();
    ws_.binary(next.binary);
    ws_.async_write(
        asio::buffer(*next.bytes),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      finish("transport error");
      return;
    }
    queued_bytes_ -= queue_.front().bytes->size();
    queue_.erase(queue_.begin());
    if (!queue_.empty()) {
      write_next();
    } else if (closing_) {
      close_handshake();
    }
  }

  void close_handshake() {
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {
      self->finish("closed by server");
    });
  }

  // Drops the connection at once, without a close handshake.
  void abort(std::string_view reason) {
    beast::error_code ignored;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    ws_.next_layer().close(ignored);
    finish(reason);
  }

  void finish(std::string_view reason) {
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
    if (close_timer_) close_timer_->cancel();
    auto handlers = std::move(handlers_);
    handlers_ = {};
    if (handlers.on_close) handlers.on_close(reason);
  }

  websocket::stream<tcp::socket> ws_;
  Strand executor_;
  WebSocketLimits limits_;
  beast::http::request<beast::http::string_body> request_;  // only during the handshake
  beast::flat_buffer read_buffer_;
  Handlers handlers_;
  std::vector<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  std::unique_ptr<asio::steady_timer> close_timer_;  // only while closing
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace

std::size_t live_websocket_count() {
  return live_websockets.load();
}

void accept_websocket(tcp::socket socket, Strand executor,
                      beast::http::request<beast::http::string_body> request,
                      const WebSocketLimits& limits, std::function<void(WebSocketPtr)> on_open) {
  auto ws = std::make_shared<BeastWebSocket>(std::move(socket), executor, limits);
  ws->accept(std::move(request), std::move(on_open));
}

}  // namespace net
