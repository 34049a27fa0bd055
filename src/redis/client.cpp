#include "redis/client.hpp"

#include <hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/assert.hpp>

#include "net/log.hpp"

namespace redis {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

Reply convert(const redisReply& from) {
  Reply to;
  switch (from.type) {
    case REDIS_REPLY_STRING:
      to.type = Reply::Type::string;
      break;
    case REDIS_REPLY_STATUS:
      to.type = Reply::Type::status;
      break;
    case REDIS_REPLY_ERROR:
      to.type = Reply::Type::error;
      break;
    case REDIS_REPLY_INTEGER:
      to.type = Reply::Type::integer;
      to.integer = from.integer;
      return to;
    case REDIS_REPLY_ARRAY:
      to.type = Reply::Type::array;
      to.elements.reserve(from.elements);
      for (std::size_t i = 0; i < from.elements; ++i)
        to.elements.push_back(convert(*from.element[i]));
      return to;
    default:
      return to;  // nil
  }
  to.text.assign(from.str, from.len);
  return to;
}

// The RESP encoding of a command.
std::string format(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* command = nullptr;
  const int length =
      redisFormatCommandArgv(&command, static_cast<int>(args.size()), argv.data(), lengths.data());
  if (length < 0) throw std::bad_alloc();
  std::string out(command, static_cast<std::size_t>(length));
  redisFreeCommand(command);
  return out;
}

}  // namespace

void Client::ReaderDeleter::operator()(redisReader* reader) const {
  redisReaderFree(reader);
}

std::shared_ptr<Client> Client::create(net::Strand strand, ClientOptions options,
                                       MessageHandler on_message, StateHandler on_state) {
  return std::shared_ptr<Client>(new Client(std::move(strand), std::move(options),
                                            std::move(on_message), std::move(on_state)));
}

Client::Client(net::Strand strand, ClientOptions options, MessageHandler on_message,
               StateHandler on_state)
    : strand_(std::move(strand)),
      options_(std::move(options)),
      on_message_(std::move(on_message)),
      on_state_(std::move(on_state)),
      resolver_(strand_),
      socket_(strand_),
      timer_(strand_),
      backoff_(options_.min_backoff),
      read_buffer_(kReadChunk) {}

Client::~Client() = default;

void Client::start() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->state_ == State::idle) self->connect();
  });
}

void Client::stop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->state_ == State::stopped) return;
    const bool was_ready = self->state_ == State::ready;
    self->close_connection(State::stopped, Error::stopped);
    self->timer_.cancel();
    auto on_state = std::move(self->on_state_);
    // The handlers may hold what holds this client.
    self->on_state_ = nullptr;
    self->on_message_ = nullptr;
    if (was_ready && on_state) on_state(false);
  });
}

void Client::command(std::vector<std::string> args, ReplyHandler done) {
  BOOST_ASSERT(!subscriber());
  unsettled_.fetch_add(1, std::memory_order_acq_rel);
  // `this` outlives the wrapper: only the client holds and calls it.
  done = [this, done = std::move(done)](error_code ec, Reply reply) {
    unsettled_.fetch_sub(1, std::memory_order_acq_rel);
    done(ec, std::move(reply));
  };
  // Posted, never run inline: `done` must not run inside its caller.
  asio::post(strand_,
             [self = shared_from_this(), args = std::move(args), done = std::move(done)]() mutable {
               if (self->state_ != State::ready) {
                 done(self->state_ == State::stopped ? Error::stopped : Error::not_connected, {});
                 return;
               }
               self->send(args, std::move(done));
             });
}

namespace {

// A Redis that vanished without closing the connection (a dead host, a partition) would
// otherwise look connected for the system's two hours, with publishes going nowhere: keepalive
// probes after 10 s of silence, and TCP_USER_TIMEOUT for data Redis never acknowledges, end
// such a connection within about half a minute, and the client reconnects.
void notice_dead_peers(asio::ip::tcp::socket& socket) {
  using Idle = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPIDLE>;
  using Interval = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPINTVL>;
  using Probes = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPCNT>;
  using UserTimeout = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_USER_TIMEOUT>;
  error_code ignored;  // best effort: a socket without them still works
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  socket.set_option(Idle(10), ignored);
  socket.set_option(Interval(5), ignored);
  socket.set_option(Probes(3), ignored);
  socket.set_option(UserTimeout(30'000), ignored);
}

}  // namespace

void Client::connect() {
  BOOST_ASSERT(strand_.running_in_this_thread());
  state_ = State::connecting;
  const auto generation = generation_;
  timer_.expires_after(options_.connect_timeout);
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->generation_) return;
    if (self->state_ == State::connecting || self->state_ == State::logging_in) {
      self->drop(Error::timeout);
    }
  });
  resolver_.async_resolve(options_.endpoint.host, std::to_string(options_.endpoint.port),
                          [self = shared_from_this(), generation](
                              error_code ec, const asio::ip::tcp::resolver::results_type& results) {
                            if (generation != self->generation_) return;
                            if (ec) return self->drop(ec);
                            asio::async_connect(
                                self->socket_, results,
                                [self, generation](error_code ec, const asio::ip::tcp::endpoint&) {
                                  if (generation != self->generation_) return;
                                  if (ec) return self->drop(ec);
                                  self->log_in();
                                });
                          });
}

void Client::log_in() {
  BOOST_ASSERT(strand_.running_in_this_thread());
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  notice_dead_peers(socket_);
  reader_.reset(redisReaderCreate());
  if (!reader_) throw std::bad_alloc();
  unparsed_bytes_ = 0;
  state_ = State::logging_in;
  read_next();

  const auto generation = generation_;
  auto step = [this, generation](error_code ec, Reply reply) {
    if (generation != generation_) return;  // that connection has ended
    if (ec) {
      net::log_event(net::LogLevel::error, "redis_login_failed",
                     {{"client", options_.name}, {"error", reply.text}});
      return drop(Error::handshake_failed);
    }
    if (--logins_left_ == 0) on_logged_in();
  };
  const auto& endpoint = options_.endpoint;
  logins_left_ = 0;
  if (!endpoint.password.empty()) {
    ++logins_left_;
    send(endpoint.username.empty()
             ? std::vector<std::string>{"AUTH", endpoint.password}
             : std::vector<std::string>{"AUTH", endpoint.username, endpoint.password},
         step);
  }
  if (endpoint.db != 0) {
    ++logins_left_;
    send({"SELECT", std::to_string(endpoint.db)}, step);
  }
  // One confirmation per channel or pattern; none is written when there are none.
  auto subscribe = [&](const char* verb, const std::vector<std::string>& names) {
    if (names.empty()) return;
    std::vector<std::string> args{verb};
    args.insert(args.end(), names.begin(), names.end());
    queued_ += format(args);
    for (std::size_t i = 0; i < names.size(); ++i) pending_.push_back(step);
    logins_left_ += names.size();
  };
  subscribe("SUBSCRIBE", options_.channels);
  subscribe("PSUBSCRIBE", options_.patterns);
  write_next();
  if (logins_left_ == 0) on_logged_in();
}

void Client::on_logged_in() {
  state_ = State::ready;
  timer_.cancel();
  backoff_ = options_.min_backoff;
  connected_.store(true, std::memory_order_release);
  net::log_event(net::LogLevel::info, "redis_connected",
                 {{"client", options_.name}, {"host", options_.endpoint.host}});
  if (on_state_) on_state_(true);
}

void Client::send(const std::vector<std::string>& args, ReplyHandler done) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  auto command = format(args);
  if (queued_.size() + command.size() > options_.max_queued_bytes && !queued_.empty()) {
    done(Error::queue_full, {});
    return;
  }
  queued_ += command;
  pending_.push_back(std::move(done));
  write_next();
}

void Client::write_next() {
  if (!writing_.empty() || queued_.empty()) return;
  writing_.swap(queued_);
  asio::async_write(
      socket_, asio::buffer(writing_),
      [self = shared_from_this(), generation = generation_](error_code ec, std::size_t) {
        if (generation != self->generation_) return;
        if (ec) return self->drop(ec);
        self->writing_.clear();
        self->write_next();
      });
}

void Client::read_next() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this(), generation = generation_](error_code ec, std::size_t bytes) {
        if (generation != self->generation_) return;
        if (ec) return self->drop(ec == asio::error::eof ? Error::connection_lost : ec);
        self->on_read(bytes);
      });
}

void Client::on_read(std::size_t bytes) {
  const auto generation = generation_;
  if (redisReaderFeed(reader_.get(), read_buffer_.data(), bytes) != REDIS_OK) {
    return drop(Error::protocol_error);
  }
  unparsed_bytes_ += bytes;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) return drop(Error::protocol_error);
    if (raw == nullptr) break;
    auto reply = convert(*static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    unparsed_bytes_ = reader_->len - reader_->pos;
    on_reply(std::move(reply));
    if (generation != generation_) return;  // a handler stopped the client, or it dropped
  }
  // hiredis keeps a partial reply whole in memory: bound it.
  if (unparsed_bytes_ > options_.max_reply_bytes) return drop(Error::reply_too_large);
  read_next();
}

void Client::on_reply(Reply&& reply) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (subscriber() && on_message(reply)) return;
  if (pending_.empty()) return drop(Error::protocol_error);  // a reply nobody asked for
  auto done = std::move(pending_.front());
  pending_.pop_front();
  const bool failed = reply.is_error();
  done(failed ? make_error_code(Error::server_error) : error_code{}, std::move(reply));
}

bool Client::on_message(const Reply& reply) {
  if (reply.type != Reply::Type::array) return false;
  const auto& parts = reply.elements;
  Message message;
  if (parts.size() == 3 && parts[0].is("message")) {
    message = {{}, parts[1].text, parts[2].text};
  } else if (parts.size() == 4 && parts[0].is("pmessage")) {
    message = {parts[1].text, parts[2].text, parts[3].text};
  } else {
    return false;
  }
  if (on_message_) on_message_(message);
  return true;
}

void Client::drop(error_code why) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (state_ == State::stopped || state_ == State::waiting) return;
  const bool was_ready = state_ == State::ready;
  net::log_event(was_ready ? net::LogLevel::warn : net::LogLevel::debug,
                 was_ready ? "redis_connection_lost" : "redis_connect_failed",
                 {{"client", options_.name},
                  {"error", why.message()},
                  {"retry_ms", std::to_string(backoff_.count())}});
  close_connection(State::waiting, Error::connection_lost);
  if (was_ready && on_state_) on_state_(false);
  timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec && self->state_ == State::waiting) self->connect();
  });
}

void Client::close_connection(State next, Error pending_error) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  ++generation_;
  state_ = next;
  connected_.store(false, std::memory_order_release);
  error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  reader_.reset();
  unparsed_bytes_ = 0;
  queued_.clear();
  writing_.clear();
  auto failed = std::move(pending_);
  pending_.clear();
  for (auto& done : failed) done(pending_error, {});
}

}  // namespace redis
