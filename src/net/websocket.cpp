// The server side of RFC 6455 on a bare Asio socket. Beast's websocket::stream would do, but it
// keeps a read buffer and its own state in every connection and writes one message per system
// call. Here an idle connection owns no buffer at all (reads go through one buffer per thread,
// taken only when the socket is readable), and every message queued while a write is in flight
// leaves in the next single gather-write, with the shared payload bytes never copied.

#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/assert.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <vector>

#include "base/base64.hpp"
#include "base/utf8.hpp"
#include "net/error.hpp"
#include "net/websocket_accept.hpp"
#include "net/websocket_frame.hpp"

namespace net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ws::CloseCode;
using ws::Opcode;

constexpr std::size_t kReadChunk = 64 * 1024;

std::atomic<std::size_t> live_websockets{0};

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input += guid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr);
  return base::encode_base64(std::string_view(reinterpret_cast<const char*>(digest), digest_size),
                             base::Base64::standard);
}

class LeanWebSocket final : public WebSocket, public std::enable_shared_from_this<LeanWebSocket> {
 public:
  LeanWebSocket(WebSocketSocket socket, Strand executor, const WebSocketLimits& limits)
      : socket_(std::move(socket)), executor_(executor), limits_(limits) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
    ++live_websockets;
  }
  ~LeanWebSocket() override { --live_websockets; }

  // Answers the upgrade request, then calls on_open with this socket, or nullptr. `early_bytes`
  // arrived after the request in the same read: the client's first frames, kept for start().
  void accept(const http::request<http::string_body>& request, std::string early_bytes,
              std::function<void(WebSocketPtr)> on_open) {
    if (!early_bytes.empty()) reassembly().partial = std::move(early_bytes);
    const auto key = request[http::field::sec_websocket_key];
    const bool valid =
        request[http::field::sec_websocket_version] == "13" && !key.empty() && key.size() <= 64;
    close_timer_ = std::make_unique<asio::steady_timer>(executor_, limits_.handshake_timeout);
    close_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->abort(Error::handshake_timeout);
    });
    if (!valid) {
      refuse_upgrade(std::move(on_open));
      return;
    }
    auto response = std::make_shared<const std::string>(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Server: reportd\r\nSec-WebSocket-Accept: " +
        accept_key(key) + "\r\n\r\n");
    // The 101 waits in the queue while the owner takes the socket, so that what it sends at once
    // (an Engine.IO open packet) leaves in the same write: one send and one wake-up of the peer
    // fewer per connection. The handshake timer runs until that first write is done.
    asio::dispatch(executor_, [self = shared_from_this(), response = std::move(response),
                               on_open = std::move(on_open)] {
      self->queued_bytes_ += cost(response);
      self->queue_.push_back({response, ws::FrameHeader{}});
      on_open(self);
      if (!self->writing_ && !self->queue_.empty()) self->write_queued();
    });
  }

  Strand executor() const override { return executor_; }

  void start(std::shared_ptr<WebSocketListener> listener) override {
    BOOST_ASSERT(executor_.running_in_this_thread());
    const bool reading = std::exchange(reading_, true);
    listener_ = std::move(listener);
    if (phase_ == Phase::closed) {
      // Gone already (e.g. the handshake timer fired): still say so, once.
      asio::post(executor_, [self = shared_from_this()] {
        if (auto listener = std::exchange(self->listener_, nullptr)) {
          listener->on_websocket_closed(*self, make_error_code(self->end_reason_));
        }
      });
      return;
    }
    if (reading) return;  // close() came first and started the read loop
    if (!reassembly_) {
      wait_readable();
      return;
    }
    // Deferred: the owner finishes taking this socket before its first message arrives.
    asio::post(executor_, [self = shared_from_this()] {
      const auto early =
          self->reassembly_ ? std::exchange(self->reassembly_->partial, {}) : std::string();
      self->consume(early);
      if (self->phase_ != Phase::closed) self->wait_readable();
    });
  }

  SendStatus send(SharedBytes bytes, bool binary) override {
    BOOST_ASSERT(executor_.running_in_this_thread());
    if (phase_ != Phase::open) return SendStatus::dropped_closed;
    return enqueue(std::move(bytes), binary ? Opcode::binary : Opcode::text);
  }

  void cork() override {
    BOOST_ASSERT(executor_.running_in_this_thread());
    ++corks_;
  }

  void uncork() override {
    BOOST_ASSERT(executor_.running_in_this_thread());
    BOOST_ASSERT(corks_ > 0);
    if (--corks_ == 0 && !writing_ && !queue_.empty()) write_queued();
  }

  std::size_t queued_bytes() const override { return queued_bytes_; }

  void close() override {
    BOOST_ASSERT(executor_.running_in_this_thread());
    start_closing(CloseCode::normal);
    // A socket closed before anyone started it still has to read the peer's close frame (or
    // its EOF) to finish the handshake; without a read loop it would wait for the timeout.
    if (!reading_ && phase_ != Phase::closed) {
      reading_ = true;
      wait_readable();
    }
  }

 private:
  struct Reassembly {
    std::string partial;  // bytes of a frame not yet complete
    std::string message;  // a fragmented message being assembled
  };
  struct Outgoing {
    SharedBytes payload;
    ws::FrameHeader header;
  };

  // What one queued frame costs besides its payload: the queue entry, its gather buffers and the
  // payload's shared allocation. Counted so that many tiny frames cannot hide behind their size.
  static constexpr std::size_t kFrameOverheadBytes =
      sizeof(Outgoing) + 2 * sizeof(asio::const_buffer) + 64;

  static std::size_t cost(const SharedBytes& payload) {
    return payload->size() + kFrameOverheadBytes;
  }

  // A request that is no valid upgrade gets 400, and the owner no socket.
  void refuse_upgrade(std::function<void(WebSocketPtr)> on_open) {
    static const std::string response =
        "HTTP/1.1 400 Bad Request\r\nServer: reportd\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n";
    asio::async_write(
        socket_, asio::buffer(response),
        asio::bind_executor(executor_, [self = shared_from_this(), on_open = std::move(on_open)](
                                           boost::system::error_code, std::size_t) {
          self->close_timer_.reset();
          self->abort(Error::handshake_failed);
          on_open(nullptr);
        }));
  }

  SendStatus enqueue(SharedBytes payload, Opcode opcode) {
    if (queued_bytes_ + cost(payload) > limits_.max_queued_bytes) {
      abort(Error::send_queue_overflow);
      return SendStatus::dropped_overflow;
    }
    push(std::move(payload), opcode);
    return SendStatus::queued;
  }

  auto written_handler() {
    return asio::bind_executor(
        executor_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          self->on_written(ec);
        });
  }

  // Every frame goes through here, so that queued_bytes_ counts exactly what is queued.
  void push(SharedBytes payload, Opcode opcode) {
    const auto header = ws::server_frame_header(opcode, payload->size());
    if (!writing_ && corks_ == 0 && queue_.empty() && phase_ == Phase::open) {
      write_now(std::move(payload), header);
      return;
    }
    queued_bytes_ += cost(payload);
    queue_.push_back({std::move(payload), header});
    if (!writing_ && corks_ == 0) write_queued();
  }

  // Nothing is in flight: the frame is offered to the socket at once, without a queue entry, an
  // asynchronous operation or a completion handler on the strand. Most frames fit the socket's
  // send buffer whole; what does not (or an error) goes the asynchronous way, which waits for
  // room and reports errors through on_written as every other write does.
  void write_now(SharedBytes payload, const ws::FrameHeader& header) {
    Outgoing out{std::move(payload), header};
    boost::system::error_code ec;
    const auto written = socket_.write_some(buffers_of(out), ec);
    if (!ec && written == header.size + out.payload->size()) return;
    writing_ = true;
    queued_bytes_ += cost(out.payload);
    batch_.push_back(std::move(out));
    boost::beast::buffers_suffix<FrameBuffers> rest(buffers_of(batch_.front()));
    rest.consume(ec ? 0 : written);
    asio::async_write(socket_, rest, written_handler());
  }

  // A frame's header and payload, as the two buffers of one write (they stay where `out` is).
  using FrameBuffers = std::array<asio::const_buffer, 2>;
  static FrameBuffers buffers_of(const Outgoing& out) {
    return {asio::const_buffer(out.header.bytes.data(), out.header.size),
            asio::const_buffer(out.payload->data(), out.payload->size())};
  }

  // Everything queued goes out in one gather-write. The write keeps its own copy of the buffer
  // list (Asio copies it): one frame, the usual case, goes as two buffers with no allocation.
  void write_queued() {
    writing_ = true;
    batch_.swap(queue_);
    auto on_written = written_handler();
    if (batch_.size() == 1) {
      asio::async_write(socket_, buffers_of(batch_.front()), std::move(on_written));
      return;
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(2 * batch_.size());
    for (const auto& out : batch_) {
      buffers.emplace_back(out.header.bytes.data(), out.header.size);
      if (!out.payload->empty()) buffers.emplace_back(out.payload->data(), out.payload->size());
    }
    asio::async_write(socket_, buffers, std::move(on_written));
  }

  void on_written(boost::system::error_code ec) {
    writing_ = false;
    // The first write carried the 101: the opening handshake is over. (While closing, the timer
    // is the closing handshake's.)
    if (phase_ == Phase::open) close_timer_.reset();
    for (const auto& out : batch_) queued_bytes_ -= cost(out.payload);
    batch_.clear();
    if (queue_.empty()) {
      // Idle: an idle connection keeps no queue memory (the next frame allocates it again, as
      // the write's copy of a buffer list did before).
      std::vector<Outgoing>().swap(batch_);
      std::vector<Outgoing>().swap(queue_);
    }
    if (phase_ == Phase::closed) {
      if (!queue_.empty()) {
        write_queued();  // the close frame that was waiting behind the last write
        return;
      }
      close_socket();
      return;
    }
    if (ec) {
      finish(ec);
      return;
    }
    if (!queue_.empty()) {
      write_queued();
    } else if (phase_ == Phase::closing) {
      // Our close frame is out: no more writes; wait for the peer's close or its EOF.
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  void wait_readable() {
    socket_.async_wait(
        tcp::socket::wait_read,
        asio::bind_executor(executor_, [self = shared_from_this()](boost::system::error_code ec) {
          if (ec) {
            self->finish(ec);
            return;
          }
          self->on_readable();
        }));
  }

  void on_readable() {
    thread_local std::array<char, kReadChunk> chunk;
    // A bounded number of reads per wake-up, so that one busy peer cannot starve the others on
    // this thread.
    for (int reads = 0; reads < 16; ++reads) {
      boost::system::error_code ec;
      const auto n = socket_.read_some(asio::buffer(chunk), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) {
        finish(ec == asio::error::eof ? make_error_code(Error::closed_by_peer) : ec);
        return;
      }
      consume(std::string_view(chunk.data(), n));
      if (phase_ == Phase::closed) return;
    }
    wait_readable();
  }

  // Frames are parsed straight from the read buffer; only the start of a frame that the next read
  // completes is kept.
  void consume(std::string_view bytes) {
    std::string_view input = bytes;
    const bool continues_partial = reassembly_ && !reassembly_->partial.empty();
    if (continues_partial) {
      reassembly_->partial.append(bytes);
      input = reassembly_->partial;
    }
    std::size_t used = 0;
    while (phase_ != Phase::closed) {
      // A fragment may be at most what the whole message may still grow by.
      const auto assembled = reassembly_ ? reassembly_->message.size() : 0;
      const auto room = limits_.max_message_bytes - std::min(limits_.max_message_bytes, assembled);
      auto parsed = ws::parse_client_frame(input.substr(used), std::max<std::size_t>(room, 125));
      if (parsed.error) {
        fail(parsed.error->code);
        return;
      }
      if (!parsed.frame) break;
      used += parsed.consumed;
      on_frame(std::move(*parsed.frame));
    }
    if (phase_ == Phase::closed) return;
    if (continues_partial) {
      reassembly_->partial.erase(0, used);
    } else if (used < input.size()) {
      reassembly().partial.assign(input.substr(used));
    }
    if (reassembly_ && reassembly_->partial.empty() && !in_message_) reassembly_.reset();
  }

  void on_frame(ws::Frame&& frame) {
    switch (frame.opcode) {
      case Opcode::close:
        on_close_frame(frame.payload);
        return;
      case Opcode::ping:
        if (phase_ == Phase::open) {
          enqueue(std::make_shared<const std::string>(std::move(frame.payload)), Opcode::pong);
        }
        return;
      case Opcode::pong:
        return;
      case Opcode::text:
      case Opcode::binary:
        if (in_message_) return fail(CloseCode::protocol_error);
        message_binary_ = frame.opcode == Opcode::binary;
        if (frame.fin) return on_message(std::move(frame.payload));
        in_message_ = true;
        reassembly().message = std::move(frame.payload);
        break;
      case Opcode::continuation: {
        if (!in_message_) return fail(CloseCode::protocol_error);
        auto& message = reassembly_->message;
        message += frame.payload;
        if (!frame.fin) break;
        in_message_ = false;
        return on_message(std::exchange(message, {}));
      }
    }
    if (reassembly_->message.size() > limits_.max_message_bytes) fail(CloseCode::too_big);
  }

  // A whole message, unfragmented or assembled.
  void on_message(std::string&& message) {
    if (message.size() > limits_.max_message_bytes) return fail(CloseCode::too_big);
    if (!message_binary_ && !base::is_valid_utf8(message)) return fail(CloseCode::invalid_data);
    if (phase_ != Phase::open) return;  // the peer's data after our close frame is dropped
    // A copy: the listener may end this connection, which drops listener_ while it runs.
    if (auto listener = listener_) {
      listener->on_websocket_message(*this, std::move(message), message_binary_);
    }
  }

  Reassembly& reassembly() {
    if (!reassembly_) reassembly_ = std::make_unique<Reassembly>();
    return *reassembly_;
  }

  void on_close_frame(const std::string& payload) {
    if (payload.size() == 1) return fail(CloseCode::protocol_error);
    if (payload.size() >= 2) {
      const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                   static_cast<std::uint8_t>(payload[1]));
      if (!ws::is_valid_close_code(code)) return fail(CloseCode::protocol_error);
      if (!base::is_valid_utf8(std::string_view(payload).substr(2))) {
        return fail(CloseCode::invalid_data);
      }
    }
    // Whoever sent the first close frame ended the connection.
    const auto ended_by =
        phase_ == Phase::closing ? Error::closed_by_server : Error::closed_by_peer;
    if (phase_ == Phase::open) {
      // Echo the peer's code, as RFC 6455 §5.5.1 asks, then we are done.
      phase_ = Phase::closing;
      push(std::make_shared<const std::string>(payload.substr(0, 2)), Opcode::close);
    }
    finish(ended_by);
  }

  void start_closing(CloseCode code) {
    if (phase_ != Phase::open) return;
    phase_ = Phase::closing;
    close_timer_ = std::make_unique<asio::steady_timer>(executor_, limits_.handshake_timeout);
    close_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->abort(Error::close_timeout);
    });
    const auto value = static_cast<std::uint16_t>(code);
    auto payload = std::make_shared<const std::string>(
        std::string{static_cast<char>(value >> 8), static_cast<char>(value & 0xFF)});
    push(std::move(payload), Opcode::close);
  }

  void fail(CloseCode code) {
    start_closing(code);
    finish(code == CloseCode::too_big ? Error::message_too_big : Error::protocol_violation);
  }

  // Drops the connection at once, without a close handshake.
  void abort(Error reason) {
    close_socket();
    finish(reason);
  }

  // The end, for whatever reason: tell the owner once. A write in flight (e.g. our close frame)
  // may finish first; the socket closes after it.
  void finish(boost::system::error_code reason) {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    // Kept in a byte for an owner that starts the socket only later: a net::Error, or
    // connection_failed for one of the socket's own errors.
    end_reason_ = reason.category() == error_category() ? static_cast<Error>(reason.value())
                                                        : Error::connection_failed;
    // Only a close frame still waiting is worth sending now.
    const bool open = socket_.is_open();
    std::erase_if(queue_, [this, open](const Outgoing& out) {
      const bool drop =
          !open || (out.header.bytes[0] & 0x0F) != static_cast<std::uint8_t>(Opcode::close);
      if (drop) queued_bytes_ -= cost(out.payload);
      return drop;
    });
    reassembly_.reset();
    if (!writing_ && queue_.empty()) {
      close_socket();
    } else if (open) {
      if (!writing_) write_queued();
      if (!close_timer_) {
        // A peer that stopped reading would hold this write, and the socket, forever.
        close_timer_ = std::make_unique<asio::steady_timer>(executor_, limits_.handshake_timeout);
        close_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
          if (!ec) self->close_socket();
        });
      }
    }
    if (auto listener = std::exchange(listener_, nullptr)) {
      listener->on_websocket_closed(*this, reason);
    }
  }

  void close_socket() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    close_timer_.reset();
  }

  // On the io_context's own executor, which takes 8 bytes where tcp::socket's polymorphic one
  // takes 56; every handler is bound to executor_ instead.
  WebSocketSocket socket_;
  Strand executor_;
  WebSocketLimits limits_;
  std::shared_ptr<WebSocketListener> listener_;
  // Made only while a read ended inside a frame or a message arrives in fragments, and dropped
  // once neither is the case: an idle connection holds no buffer for either.
  std::unique_ptr<Reassembly> reassembly_;
  bool message_binary_ = false;
  bool in_message_ = false;
  std::uint8_t corks_ = 0;  // cork() calls not yet uncorked: while any, frames wait in the queue
  std::vector<Outgoing> queue_;  // waiting for the write in flight
  std::vector<Outgoing> batch_;  // being written
  std::size_t queued_bytes_ = 0;
  std::unique_ptr<asio::steady_timer> close_timer_;  // only while closing or handshaking
  // open: messages flow both ways. closing: our close frame is queued or sent, and we read
  // only to see the peer's close (or its EOF). closed: the owner has been told; the socket
  // closes once the last write is out.
  enum class Phase : std::uint8_t { open, closing, closed };
  Phase phase_ = Phase::open;
  Error end_reason_ = Error::closed_by_server;  // why it ended, once closed
  // The asynchronous work in flight, whatever the phase.
  bool reading_ = false;  // the read loop runs
  bool writing_ = false;  // a batch is being written
};

}  // namespace

std::size_t live_websocket_count() {
  return live_websockets.load();
}

void accept_websocket(WebSocketSocket socket, Strand executor,
                      http::request<http::string_body> request, std::string early_bytes,
                      const WebSocketLimits& limits, std::function<void(WebSocketPtr)> on_open) {
  auto ws = std::make_shared<LeanWebSocket>(std::move(socket), executor, limits);
  ws->accept(request, std::move(early_bytes), std::move(on_open));
}

}  // namespace net
