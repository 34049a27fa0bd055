#pragma once
// A Redis client on Asio: one connection, commands with reply callbacks, or (given channels and
// patterns) a subscriber whose messages go to a handler. It connects by itself, logs in (AUTH,
// SELECT), subscribes again after every reconnection, and reconnects with a backoff (100 ms
// doubling to 5 s) whenever the connection ends.
//
// hiredis does only the protocol here: redisFormatCommandArgv encodes commands and a
// redisReader parses replies. The IO is ours, on an Asio socket and a strand, rather than
// redisAsyncContext with an Asio adapter: hiredis's async context wants to own the file
// descriptor and be told of readiness through callbacks, which fits Asio's completion model
// badly (reconnecting means a new context and re-registering), while a reader over our own
// reads is a few lines and leaves lifetime, timeouts and bounds in one place.
//
// Threads: every handler runs on the client's strand; the public members may be called from
// any thread. A client given channels or patterns takes no other commands.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/executor.hpp"
#include "redis/endpoint.hpp"
#include "redis/errors.hpp"
#include "redis/reply.hpp"

struct redisReader;

namespace redis {

struct ClientOptions {
  Endpoint endpoint;
  std::string name = "redis";  // tells this client's log events from others'
  // Subscriptions, made again at every connection: the client is a subscriber when any is given.
  std::vector<std::string> channels;
  std::vector<std::string> patterns;
  // Bytes of one reply (or one message) at most; a larger one drops the connection.
  std::size_t max_reply_bytes = 16 * 1024 * 1024;
  // Bytes of commands waiting to be written at most; the next command fails with queue_full.
  std::size_t max_queued_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // Connecting, AUTH, SELECT and the subscriptions together.
  std::chrono::milliseconds connect_timeout{5000};
};

// A message from a subscription; `pattern` is empty for a channel subscription. The views
// are valid during the handler only.
struct Message {
  std::string_view pattern;
  std::string_view channel;
  std::string_view payload;
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  using ReplyHandler = std::function<void(boost::system::error_code, Reply)>;
  using MessageHandler = std::function<void(const Message&)>;
  using StateHandler = std::function<void(bool connected)>;

  // Does not connect yet: see start().
  static std::shared_ptr<Client> create(net::Strand strand, ClientOptions options,
                                        MessageHandler on_message = {}, StateHandler on_state = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Any thread. Connects, and keeps connecting until stop().
  void start();
  // Any thread. Closes the connection for good; waiting commands fail with Error::stopped.
  void stop();
  // Any thread: logged in, and subscribed to everything asked for.
  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // Any thread: every command given so far has had its reply or failed (a graceful shutdown
  // waits for this, so that what was published last is not lost).
  bool settled() const { return unsettled_.load(std::memory_order_acquire) == 0; }

  // Any thread. `done` runs once on the strand with the reply, or with an error: not connected
  // now, the connection lost before the reply, an error reply (Error::server_error, the reply
  // has its text), too many commands waiting. Commands are not kept for a later connection.
  void command(std::vector<std::string> args, ReplyHandler done);

 private:
  enum class State : std::uint8_t { idle, waiting, connecting, logging_in, ready, stopped };
  struct ReaderDeleter {
    void operator()(redisReader* reader) const;
  };

  Client(net::Strand strand, ClientOptions options, MessageHandler on_message,
         StateHandler on_state);
  bool subscriber() const { return !options_.channels.empty() || !options_.patterns.empty(); }
  void connect();
  void log_in();
  void send(const std::vector<std::string>& args, ReplyHandler done);
  void write_next();
  void read_next();
  void on_read(std::size_t bytes);
  void on_reply(Reply&& reply);
  bool on_message(const Reply& reply);
  void on_logged_in();
  // Ends the connection (unless stopped) and schedules the next attempt.
  void drop(boost::system::error_code why);
  // Closes the socket, enters `next`, and fails every command waiting with `pending_error`.
  void close_connection(State next, Error pending_error);

  net::Strand strand_;
  ClientOptions options_;
  MessageHandler on_message_;
  StateHandler on_state_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;  // the backoff, or the connect timeout
  State state_ = State::idle;
  std::atomic<bool> connected_{false};
  std::atomic<std::size_t> unsettled_{0};  // commands given whose `done` has not run
  std::chrono::milliseconds backoff_;
  // Each connection has its own number: completions of an earlier one are ignored.
  std::uint64_t generation_ = 0;
  std::unique_ptr<redisReader, ReaderDeleter> reader_;
  std::size_t unparsed_bytes_ = 0;  // received since the last complete reply
  std::vector<char> read_buffer_;
  std::deque<ReplyHandler> pending_;  // one per reply expected, in order
  std::size_t logins_left_ = 0;       // replies still expected for AUTH, SELECT, subscriptions
  std::string queued_;                // commands not yet written
  std::string writing_;               // commands being written
};

}  // namespace redis
