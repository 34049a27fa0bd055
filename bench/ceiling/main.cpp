// ceiling: the hardware ceiling for broadcast. A bare WebSocket and long-polling broadcaster on
// Beast, with no Engine.IO or Socket.IO on top, so reportd's broadcast numbers can be read against
// the best this machine does with the same libraries. Usage: ceiling [--port 3200] [--threads N]

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;  // a socket queuing more is dropped
constexpr std::size_t kMaxClientMessageBytes = 64 * 1024;

using Message = std::shared_ptr<const std::string>;

// What a broadcast reaches: a WebSocket session or a long-polling connection. Its shard and slot
// are where the registry keeps it, guarded by that shard's mutex.
class Recipient {
 public:
  virtual ~Recipient() = default;
  virtual asio::any_io_executor executor() = 0;
  // On the recipient's executor.
  virtual void deliver(const Message& message) = 0;

  std::size_t shard = 0;
  std::size_t slot = 0;
};

// The open sockets, spread over shards so that connects and closes on different threads rarely
// contend with each other; a broadcast walks every shard.
class Registry {
 public:
  explicit Registry(std::size_t shards) : shards_(shards) {}
  void add(const std::shared_ptr<Recipient>& recipient);
  void remove(Recipient& recipient);
  std::size_t broadcast(const Message& message);
  std::size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Shard {
    std::mutex mutex;
    std::vector<std::shared_ptr<Recipient>> recipients;
  };
  std::deque<Shard> shards_;  // a Shard holds a mutex, so it cannot live in a vector
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> count_{0};
};

// One WebSocket connection. Everything but the registry bookkeeping runs on its strand.
class Session : public Recipient, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Registry& registry) : ws_(std::move(socket)), registry_(registry) {
    ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                   websocket::stream_base::none(), false});
    ws_.auto_fragment(false);
    ws_.text(true);
    ws_.read_message_max(kMaxClientMessageBytes);
  }

  asio::any_io_executor executor() override { return ws_.get_executor(); }

  void accept(http::request<http::string_body> request) {
    request_ = std::move(request);
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code ec) {
      self->request_ = {};
      if (ec) return;
      self->open_ = true;
      self->registry_.add(self);
      self->read();
    });
  }

  void deliver(const Message& message) override {
    if (!open_) return;
    queued_bytes_ += message->size();
    if (queued_bytes_ > kMaxQueuedBytes) {
      finish();
      return;
    }
    queue_.push_back(message);
    if (queue_.size() == 1) write_next();
  }

 private:
  // Only to notice the close: whatever a client sends is dropped.
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->finish();
        return;
      }
      self->buffer_.clear();
      self->read();
    });
  }

  // The front of the queue is the message being written.
  void write_next() {
    ws_.async_write(asio::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (!self->open_) return;
                      if (ec) {
                        self->finish();
                        return;
                      }
                      self->queued_bytes_ -= self->queue_.front()->size();
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) self->write_next();
                    });
  }

  // Drops the connection without a close handshake. The queue stays until the session is
  // destroyed, since a write in flight may still point into its front.
  void finish() {
    if (!open_) return;
    open_ = false;
    registry_.remove(*this);
    beast::error_code ignored;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    ws_.next_layer().close(ignored);
  }

  websocket::stream<tcp::socket> ws_;
  Registry& registry_;
  http::request<http::string_body> request_;  // only during the handshake
  beast::flat_buffer buffer_;
  std::deque<Message> queue_;
  std::size_t queued_bytes_ = 0;
  bool open_ = false;
};

void Registry::add(const std::shared_ptr<Recipient>& recipient) {
  const std::size_t index = next_.fetch_add(1, std::memory_order_relaxed) % shards_.size();
  auto& shard = shards_[index];
  std::lock_guard lock(shard.mutex);
  recipient->shard = index;
  recipient->slot = shard.recipients.size();
  shard.recipients.push_back(recipient);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Registry::remove(Recipient& recipient) {
  auto& shard = shards_[recipient.shard];  // set in add() on the same executor
  std::lock_guard lock(shard.mutex);
  auto& recipients = shard.recipients;
  const std::size_t slot = recipient.slot;
  if (slot + 1 != recipients.size()) {
    recipients[slot] = std::move(recipients.back());
    recipients[slot]->slot = slot;
  }
  recipients.pop_back();
  count_.fetch_sub(1, std::memory_order_relaxed);
}

// Hands the one shared message to every recipient's executor; the bytes are never copied.
std::size_t Registry::broadcast(const Message& message) {
  std::size_t recipients = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& recipient : shard.recipients) {
      asio::post(recipient->executor(), [recipient, message] { recipient->deliver(message); });
    }
    recipients += shard.recipients.size();
  }
  return recipients;
}

// One long-polling connection, served without Beast or coroutines so that it costs what the
// kernel and Asio's reactor cost and little more: each GET /poll is held until a broadcast comes
// and answered with what came, joined by the record separator as Engine.IO does, in one
// non-blocking gather write from where the messages are. Everything runs on its strand. Like a
// WebSocket session, a client that lets more than kMaxQueuedBytes wait is dropped.
class Poller : public Recipient, public std::enable_shared_from_this<Poller> {
 public:
  Poller(tcp::socket socket, Registry& registry)
      : socket_(std::move(socket)), registry_(registry) {}

  asio::any_io_executor executor() override { return socket_.get_executor(); }

  void start() {
    beast::error_code ec;
    socket_.non_blocking(true, ec);
    if (ec) return;
    open_ = true;
    registry_.add(shared_from_this());
    read();
  }

  void deliver(const Message& message) override {
    if (!open_) return;
    pending_bytes_ += message->size();
    if (pending_bytes_ > kMaxQueuedBytes) return finish();  // it stopped polling
    pending_.push_back(message);
    if (holding_ && !writing_) answer();
  }

 private:
  static constexpr std::size_t kMaxRequestBytes = 2048;

  // One read is always armed, so that a client that goes away while its poll is held is
  // forgotten at once, not at the next broadcast.
  void read() {
    socket_.async_read_some(
        asio::buffer(in_.data() + used_, in_.size() - used_),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  // A request is only its head: it ends with an empty line. A client polls again only once
  // answered, so nothing follows a head, and a second poll while one is held is refused.
  void on_read(beast::error_code ec, std::size_t n) {
    if (ec || !open_) return finish();
    used_ += n;
    const std::string_view input(in_.data(), used_);
    const auto end = input.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (used_ == in_.size()) return finish();
      return read();
    }
    if (holding_ || end + 4 != used_ || !input.starts_with("GET /poll ")) return finish();
    used_ = 0;
    holding_ = true;
    read();
    if (!pending_.empty() && !writing_) answer();
  }

  void answer() {
    static constexpr char kSeparator = '\x1e';
    holding_ = false;
    std::size_t length = pending_.size() - 1;
    for (const auto& message : pending_) length += message->size();
    head_ = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: " +
            std::to_string(length) + "\r\n\r\n";
    std::vector<asio::const_buffer> buffers{asio::buffer(head_)};
    for (const auto& message : pending_) {
      if (buffers.size() > 1) buffers.push_back(asio::buffer(&kSeparator, 1));
      buffers.push_back(asio::buffer(*message));
    }
    beast::error_code ec;
    const auto written = socket_.write_some(buffers, ec);
    if (ec && ec != asio::error::would_block) return finish();
    const bool whole = written == head_.size() + length;
    // Unless the socket took it all (it takes at most 64 pieces at once: more than 32 messages
    // never go whole), the rest is copied and written as one piece.
    pending_bytes_ = 0;
    if (whole) {
      pending_.clear();
      return;
    }
    auto rest = std::make_shared<std::string>(head_.size() + length, '\0');
    asio::buffer_copy(asio::buffer(*rest), buffers);
    rest->erase(0, written);
    pending_.clear();
    writing_ = true;
    asio::async_write(socket_, asio::buffer(*rest),
                      [self = shared_from_this(), rest](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->finish();
                        if (self->holding_ && !self->pending_.empty()) self->answer();
                      });
  }

  void finish() {
    if (!open_) return;
    open_ = false;
    registry_.remove(*this);
    beast::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  Registry& registry_;
  std::array<char, kMaxRequestBytes> in_{};
  std::size_t used_ = 0;
  std::vector<Message> pending_;
  std::size_t pending_bytes_ = 0;
  std::string head_;
  bool holding_ = false;
  bool writing_ = false;  // the rest of an answer is being written
  bool open_ = false;
};

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// Plain HTTP requests on a connection until it upgrades to WebSocket (on any path) or goes away.
// POST /broadcast sends the body as one text message to every socket and answers
// {"recipients":N} once the writes are queued; GET /stats answers {"connections":N}.
// GET /poll?open is answered "ok" and makes the connection a long-polling recipient (Poller).
asio::awaitable<void> serve(tcp::socket socket, Registry& registry) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxQueuedBytes);
    co_await http::async_read(socket, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto request = parser.release();
    if (websocket::is_upgrade(request)) {
      std::make_shared<Session>(std::move(socket), registry)->accept(std::move(request));
      co_return;
    }
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.keep_alive(request.keep_alive());
    response.set(http::field::content_type, "application/json");
    const auto path = path_of(request.target());
    const bool opens_poller =
        request.method() == http::verb::get && request.target() == "/poll?open";
    if (opens_poller) {
      response.set(http::field::content_type, "text/plain");
      response.body() = "ok";
    } else if (request.method() == http::verb::post && path == "/broadcast") {
      const auto message = std::make_shared<const std::string>(std::move(request.body()));
      response.body() = "{\"recipients\":" + std::to_string(registry.broadcast(message)) + "}";
    } else if (request.method() == http::verb::get && path == "/stats") {
      response.body() = "{\"connections\":" + std::to_string(registry.size()) + "}";
    } else {
      response.result(http::status::not_found);
      response.body() = "{\"error\":\"not found\"}";
    }
    response.prepare_payload();
    co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
    if (opens_poller) {  // the client polls only once it has the answer: the buffer is empty
      std::make_shared<Poller>(std::move(socket), registry)->start();
      co_return;
    }
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> accept_loop(asio::io_context& ioc, tcp::acceptor& acceptor,
                                  Registry& registry) {
  asio::steady_timer backoff(ioc);
  for (;;) {
    tcp::socket socket(asio::make_strand(ioc));
    beast::error_code ec;
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {  // e.g. out of descriptors: let some close before trying again
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket), registry), asio::detached);
  }
}

void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) std::perror("setrlimit(RLIMIT_NOFILE)");
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  std::fprintf(stderr, "ceiling: open file limit %llu\n",
               static_cast<unsigned long long>(limit.rlim_cur));
}

bool parse_number(const char* text, long min, long max, long& out) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < min || value > max) return false;
  out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long port = 3200;
  long threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool ok =
        i + 1 < argc && ((arg == "--port" && parse_number(argv[++i], 1, 65535, port)) ||
                         (arg == "--threads" && parse_number(argv[++i], 1, 256, threads)));
    if (!ok) {
      std::fprintf(stderr, "usage: ceiling [--port 3200] [--threads N]\n");
      return 2;
    }
  }
  raise_fd_limit();

  asio::io_context ioc(static_cast<int>(threads));
  Registry registry(static_cast<std::size_t>(threads));  // destroyed before ioc
  tcp::acceptor acceptor(ioc);
  try {
    const tcp::endpoint endpoint(asio::ip::make_address("0.0.0.0"),
                                 static_cast<unsigned short>(port));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ceiling: cannot listen on port %ld: %s\n", port, error.what());
    return 1;
  }

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
  asio::co_spawn(ioc, accept_loop(ioc, acceptor, registry), asio::detached);
  std::fprintf(stderr, "ceiling: listening on port %ld with %ld threads\n", port, threads);

  std::vector<std::thread> workers;
  for (long i = 1; i < threads; ++i) workers.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& worker : workers) worker.join();
  return 0;
}
