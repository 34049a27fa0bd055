#include "net/http_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cerrno>
#include <cstdint>
#include <optional>

#include "net/log.hpp"
#include "net/response_wire.hpp"
#include "net/websocket_accept.hpp"

namespace net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using BeastRequest = http::request<http::string_body>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpSocket socket, const HttpServerOptions& options, HttpHandler& handler)
      : stream_(std::move(socket)),
        buffer_(options.max_header_bytes + kFramingSlackBytes),
        options_(options),
        handler_(handler) {
    // write() offers each answer to the socket at once; a full send buffer must not block (and
    // a socket that cannot say so is only ever written asynchronously).
    beast::error_code ec;
    stream_.socket().non_blocking(true, ec);
    write_at_once_ = !ec;
  }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // All four are called through Exchange, from any thread; `held` is the exchange's number.
  void respond(HttpResponse response, std::function<void()> on_sent = {}) {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this(), response = std::move(response),
                    on_sent = std::move(on_sent)]() mutable {
                     self->release_held();
                     self->write(std::move(response), std::move(on_sent));
                   });
  }

  void accept_websocket(Strand executor, const WebSocketLimits& limits,
                        std::function<void(WebSocketPtr)> on_open) {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), executor, limits,
                                            on_open = std::move(on_open)]() mutable {
      self->release_held();
      self->hand_over_websocket(executor, limits, std::move(on_open));
    });
  }

  void watch_for_close(std::uint64_t held, std::function<void()> on_gone) {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this(), held, on_gone = std::move(on_gone)]() mutable {
                     if (held != self->held_) return;  // answered already
                     const bool watching = static_cast<bool>(self->on_gone_);
                     self->on_gone_ = std::move(on_gone);
                     if (!watching) self->wait_for_close(held);
                   });
  }

  // The holder dropped the request unanswered: nothing will be written, and the watch must not
  // keep the connection open.
  void forget(std::uint64_t held) {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), held] {
      if (held == self->held_ && self->on_gone_) self->stop_watching();
    });
  }

 private:
  void read_header() {
    answering_head_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    stream_.expires_after(first_request_ ? options_.header_timeout : options_.idle_timeout);
    first_request_ = false;
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      refuse(431, "header_too_large", "request header too large");
      return;
    }
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::operation_aborted && ec != asio::error::connection_reset) {
        refuse(400, "bad_request", "malformed HTTP request");
        return;
      }
      close();
      return;
    }
    origin_.reset();
    if (auto origin = parser_->get()[http::field::origin]; !origin.empty()) origin_.emplace(origin);
    if (auto problem = framing_problem()) {
      refuse(400, "bad_request", *problem);
      return;
    }
    head_ = make_head(parser_->get());
    keep_alive_ = parser_->keep_alive();
    answering_head_ = head_.method == "HEAD";

    if (head_.websocket_upgrade) {
      dispatch_request();
      return;
    }
    const std::size_t limit = handler_.max_body_bytes(head_);
    if (auto length = parser_->content_length(); length && *length > limit) {
      reject_oversized();
      return;
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) {
      // No body (a GET, such as every long-poll): no read to start, no timer to arm.
      on_body({});
      return;
    }
    stream_.expires_after(options_.body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      reject_oversized();
      return;
    }
    if (ec == http::error::buffer_overflow) {
      // Only a chunk-size line or a trailer section can outgrow the buffer: the body itself
      // is consumed as it arrives.
      if (reading_trailers()) {
        refuse(431, "header_too_large", "request trailer section too large");
      } else {
        refuse(400, "bad_request", "chunk-size line too large");
      }
      return;
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset && ec != http::error::end_of_stream &&
          ec != http::error::partial_message) {
        refuse(400, "bad_request", "malformed HTTP request body");
        return;
      }
      close();
      return;
    }
    head_.body = std::move(parser_->get().body());
    dispatch_request();
  }

  HttpRequest make_head(const BeastRequest& req) {
    HttpRequest head;
    head.method = std::string(req.method_string());
    head.target = std::string(req.target());
    head.headers.reserve(std::distance(req.begin(), req.end()));
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      head.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (auto peer = peer_address()) head.remote_address = client_address(req, *peer);
    head.websocket_upgrade = beast::websocket::is_upgrade(req);
    return head;
  }

  // The peer's address, asked of the kernel once per connection rather than once per request
  // (a long-polling client sends a request per answer); nullptr if the socket has none.
  const std::string* peer_address() {
    if (!peer_address_) {
      beast::error_code ec;
      auto remote = stream_.socket().remote_endpoint(ec);
      if (ec) return nullptr;
      peer_address_ = remote.address().to_string();
    }
    return &*peer_address_;
  }

  std::string client_address(const BeastRequest& req, std::string peer) const {
    if (options_.trusted_proxies.empty()) return peer;
    std::vector<std::string_view> forwarded_for;
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
      forwarded_for.emplace_back(it->value());
    }
    return options_.trusted_proxies.client_address(peer, forwarded_for);
  }

  // What makes this request's framing ambiguous, if anything. A body whose end two parties could
  // disagree on lets a client smuggle a second request past a proxy (RFC 9112 §6.3, §11.2), so
  // every doubt is refused and the connection closed.
  std::optional<std::string_view> framing_problem() const {
    const auto& req = parser_->get();
    if (req.version() == 11 && req.count(http::field::host) != 1) {
      return "an HTTP/1.1 request needs exactly one Host header";
    }
    const bool has_length = req.count(http::field::content_length) > 0;
    const bool has_coding = req.count(http::field::transfer_encoding) > 0;
    if (has_coding && !is_plain_chunked(req)) {
      return "the only supported Transfer-Encoding is chunked";
    }
    if (has_coding && has_length) return "Transfer-Encoding and Content-Length together";
    if (beast::websocket::is_upgrade(req) &&
        (has_coding || parser_->content_length().value_or(0) != 0)) {
      return "a WebSocket upgrade request has no body";
    }
    return std::nullopt;
  }

  // True when every Transfer-Encoding field together names exactly one coding: chunked.
  static bool is_plain_chunked(const BeastRequest& req) {
    int codings = 0;
    bool chunked = false;
    for (const auto& field : req) {
      if (field.name() != http::field::transfer_encoding) continue;
      for (const auto& coding : http::token_list(field.value())) {
        ++codings;
        chunked = beast::iequals(coding, "chunked");
      }
    }
    return codings == 1 && chunked;
  }

  // Whether the unparsed input is the trailer section: it starts with the whole last-chunk line
  // ("0", maybe extensions, CRLF), which Beast keeps until the trailers end.
  bool reading_trailers() const {
    std::string_view pending(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (pending.starts_with("\r\n")) pending.remove_prefix(2);  // the previous chunk's end
    if (pending.find("\r\n") == std::string_view::npos) return false;
    const auto size = pending.substr(0, pending.find_first_of(";\r"));
    return !size.empty() && size.find_first_not_of('0') == std::string_view::npos;
  }

  // Answers with an error and closes: whatever follows on this connection cannot be trusted
  // to be a request.
  void refuse(unsigned status, std::string_view code, std::string_view message) {
    keep_alive_ = false;
    write(HttpResponse::json_error(status, code, message));
  }

  void reject_oversized() {
    // The rest of the body is never read, so the connection cannot carry another request.
    keep_alive_ = false;
    stream_.expires_never();
    handler_.handle_oversized(std::move(head_), make_exchange());
  }

  void dispatch_request() {
    if (head_.websocket_upgrade &&
        !options_.cors.allows_websocket(origin_ ? std::optional<std::string_view>(*origin_)
                                                : std::nullopt)) {
      refuse(403, "origin_not_allowed", "this origin may not open WebSockets here");
      return;
    }
    if (auto preflight = options_.cors.preflight(head_)) {
      origin_.reset();  // the preflight answer carries its own CORS headers
      write(std::move(*preflight));
      return;
    }
    // The handler may hold the request as long as it likes (long-polling).
    stream_.expires_never();
    handler_.handle(std::move(head_), make_exchange());
  }

  HttpExchangePtr make_exchange();

  // While a handler holds a request the connection reads nothing (HTTP/1.1 without pipelining),
  // so the client's leaving would go unseen until the answer. When the holder asks, the socket is
  // watched instead: a wait for it to become readable, then a look (MSG_PEEK) at what came. The
  // wait is armed before each look: Asio's waits are edge-triggered (another io thread may take
  // an edge that comes while no wait is armed), so an end that came before the wait is seen by
  // the look, and one after it raises the wait's edge.
  void wait_for_close(std::uint64_t held) {
    if (held != held_ || !on_gone_) return;
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this(), held](beast::error_code ec) {
                                  if (!ec) self->wait_for_close(held);
                                });
    switch (peer_state()) {
      case PeerState::quiet:
        return;
      case PeerState::sent_more:  // a pipelined request: read once the answer is out
        stop_watching();
        return;
      case PeerState::gone: {
        auto on_gone = std::move(on_gone_);
        stop_watching();
        held_ = 0;
        on_gone();
        return;
      }
    }
  }

  // The held request is answered: its watch, if any, ends with it, so that the next request's
  // holder finds none and arms a wait of its own.
  void release_held() {
    held_ = 0;
    if (on_gone_) stop_watching();
  }

  // Ends the watch of the held request. The wait is the socket's only operation while a handler
  // holds a request, so cancelling the socket's operations cancels just the wait (and releases
  // the connection that it keeps alive).
  void stop_watching() {
    on_gone_ = nullptr;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }

  enum class PeerState { quiet, sent_more, gone };
  // recv(2) itself, not Asio's receive: MSG_DONTWAIT never blocks, whatever the socket's mode.
  PeerState peer_state() {
    char byte;
    const auto n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return PeerState::sent_more;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return PeerState::quiet;
    }
    return PeerState::gone;  // the end of its stream (0), or a reset
  }

  void write(HttpResponse&& response, std::function<void()> on_sent = {}) {
    if (!stream_.socket().is_open()) {
      if (on_sent) on_sent();
      return;
    }
    options_.cors.decorate(origin_ ? std::optional<std::string_view>(*origin_) : std::nullopt,
                           response);
    auto outgoing = std::make_unique<Outgoing>(std::move(response), keep_alive_, answering_head_);
    if (outgoing->head.dropped_fields > 0 || outgoing->head.dropped_body) {
      log_event(LogLevel::warn, "response_part_dropped",
                {{"status", std::to_string(outgoing->response.status)},
                 {"fields", std::to_string(outgoing->head.dropped_fields)},
                 {"content", outgoing->head.dropped_body ? "dropped" : "intact"}});
    }
    // Most answers fit the socket's send buffer whole: offered at once, without an asynchronous
    // operation, a timer or a completion handler. What does not fit (or an error) goes the
    // asynchronous way, which waits for room under the write timeout and reports errors.
    beast::error_code ec = asio::error::would_block;
    const auto written = write_at_once_ ? stream_.socket().write_some(outgoing->buffers, ec) : 0;
    if (!ec && written == outgoing->size()) {
      if (on_sent) on_sent();
      // The next read is armed from the queue, not here: a broadcast answers many polls in one
      // handler, and arming a read (a timer, a parser, a composed operation) is as dear as the
      // rest of an answer. Later, the client's next request has often arrived and is read at once.
      asio::post(stream_.get_executor(), [self = shared_from_this()] { self->on_write({}); });
      return;
    }
    beast::buffers_suffix<std::vector<asio::const_buffer>> rest(outgoing->buffers);
    rest.consume(ec ? 0 : written);
    stream_.expires_after(options_.write_timeout);
    asio::async_write(
        stream_, rest,
        [self = shared_from_this(), outgoing = std::shared_ptr<Outgoing>(std::move(outgoing)),
         on_sent = std::move(on_sent)](beast::error_code ec, std::size_t) {
          if (on_sent) on_sent();
          self->on_write(ec);
        });
  }

  // A response on its way: its head, and the buffers of head and body, which point into it.
  struct Outgoing {
    Outgoing(HttpResponse&& answer, bool keep_alive, bool head_only)
        : response(std::move(answer)), head(response_head(response, keep_alive)) {
      buffers.reserve(response.shared_body.size() + 2);
      buffers.emplace_back(asio::buffer(head.text));
      // RFC 9110 §9.3.2: the answer to HEAD is that of GET, Content-Length included, without
      // the content.
      if (!head_only) append_body_buffers(response, buffers);
    }
    std::size_t size() const { return asio::buffer_size(buffers); }

    HttpResponse response;
    ResponseHead head;
    std::vector<asio::const_buffer> buffers;
  };

  void on_write(beast::error_code ec) {
    if (ec) {
      close();
      return;
    }
    if (!keep_alive_) {
      drain_then_close();
      return;
    }
    read_header();
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // response we just wrote before the client reads it (e.g. a 413 while the client is still
  // sending). So: stop sending, then read and discard for a bounded time before closing.
  void drain_then_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(buffer_.max_size()),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) {
                                self->close();
                                return;
                              }
                              self->drain();
                            });
  }

  // A client still sending a body it was refused must get the chance to read the answer first:
  // a reset discards what its kernel received but it has not read yet. The drain is bounded by
  // time (2 s) and bytes; the bytes go through one small buffer, so it costs CPU, not memory.
  static constexpr std::size_t kMaxDrainBytes = 64 * 1024 * 1024;
  // Beyond the header limit, the read buffer only ever holds one chunk-size line (with its
  // extensions) or the trailer section: bodies are moved out of it as they arrive. So this
  // slack bounds both, and a client cannot make one connection buffer more than this.
  static constexpr std::size_t kFramingSlackBytes = 4 * 1024;

  void hand_over_websocket(Strand executor, const WebSocketLimits& limits,
                           std::function<void(WebSocketPtr)> on_open) {
    stream_.expires_never();
    auto& socket = stream_.socket();
    beast::error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    // Re-register the descriptor under the session's strand so that the session and its
    // WebSocket share one strand and talk without hops between threads.
    const auto fd = ec ? -1 : socket.release(ec);
    WebSocketSocket moved(executor.get_inner_executor());
    if (!ec) {
      moved.assign(protocol, fd, ec);
      if (ec) ::close(fd);  // released above, owned by nobody now
    }
    if (ec) {
      log_event(LogLevel::warn, "websocket_handover_failed", {{"error", ec.message()}});
      asio::post(executor, [on_open = std::move(on_open)] { on_open(nullptr); });
      return;
    }
    net::accept_websocket(std::move(moved), executor, parser_->release(),
                          beast::buffers_to_string(buffer_.data()), limits, std::move(on_open));
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::basic_stream<tcp, Strand> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest head_;
  std::optional<std::string> origin_;  // of the request being answered, for CORS
  std::optional<std::string> peer_address_;
  const HttpServerOptions& options_;
  HttpHandler& handler_;
  std::size_t drained_ = 0;
  std::uint64_t exchanges_ = 0;    // requests handed to the handler so far
  std::uint64_t held_ = 0;         // the number of the one it holds now; 0: none
  std::function<void()> on_gone_;  // for held_, if its holder watches for the client's end
  bool write_at_once_ = false;     // the socket is non-blocking: write() may try it at once
  bool first_request_ = true;
  bool keep_alive_ = false;
  bool answering_head_ = false;
};

// Holds the connection until the handler answers; only the first answer counts.
class Exchange final : public HttpExchange {
 public:
  Exchange(std::shared_ptr<Connection> connection, std::uint64_t number)
      : connection_(std::move(connection)), number_(number) {}
  ~Exchange() override {
    if (!answered_.load()) connection_->forget(number_);
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void respond(HttpResponse response) override {
    if (answered_.exchange(true)) return;
    connection_->respond(std::move(response));
  }

  void respond_then(HttpResponse response, std::function<void()> on_sent) override {
    if (answered_.exchange(true)) return;
    connection_->respond(std::move(response), std::move(on_sent));
  }

  void accept_websocket(Strand executor, const WebSocketLimits& limits,
                        std::function<void(WebSocketPtr)> on_open) override {
    if (answered_.exchange(true)) return;
    connection_->accept_websocket(executor, limits, std::move(on_open));
  }

  void on_client_gone(std::function<void()> callback) override {
    if (answered_.load()) return;
    connection_->watch_for_close(number_, std::move(callback));
  }

 private:
  std::shared_ptr<Connection> connection_;
  const std::uint64_t number_;  // the connection's count of its requests, for this one
  std::atomic<bool> answered_{false};
};

HttpExchangePtr Connection::make_exchange() {
  held_ = ++exchanges_;
  return std::make_shared<Exchange>(shared_from_this(), held_);
}

}  // namespace

void serve_http_connection(HttpSocket socket, const HttpServerOptions& options,
                           HttpHandler& handler) {
  std::make_shared<Connection>(std::move(socket), options, handler)->start();
}

}  // namespace net
