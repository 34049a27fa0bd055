#include "socketio/namespace.hpp"

#include <boost/asio/dispatch.hpp>
#include <memory>

#include "net/log.hpp"

namespace socketio {

Namespace::Namespace(std::string name) : name_(std::move(name)) {}

namespace {

// Walks the middleware chain one step at a time; each step may finish on any thread, and the
// next one always runs back on the socket's strand.
struct MiddlewareRun : std::enable_shared_from_this<MiddlewareRun> {
  const std::vector<Namespace::Middleware>& chain;
  SocketPtr socket;
  std::function<void(std::optional<ConnectError>)> done;
  std::size_t next = 0;
  bool finished = false;  // done runs once, even if a handler after it throws

  MiddlewareRun(const std::vector<Namespace::Middleware>& c, SocketPtr s,
                std::function<void(std::optional<ConnectError>)> d)
      : chain(c), socket(std::move(s)), done(std::move(d)) {}

  void finish(std::optional<ConnectError> error) {
    if (finished) return;
    finished = true;
    done(std::move(error));
  }

  void step() {
    if (next == chain.size()) {
      finish(std::nullopt);
      return;
    }
    const auto& middleware = chain[next++];
    auto proceed = [self = shared_from_this(), called = std::make_shared<std::atomic<bool>>(false)](
                       std::optional<ConnectError> error) {
      if (called->exchange(true)) return;  // a middleware that calls next twice
      boost::asio::dispatch(self->socket->executor(), [self, error = std::move(error)]() mutable {
        if (error) {
          self->finish(std::move(error));
        } else {
          self->step();
        }
      });
    };
    try {
      middleware(*socket, std::move(proceed));
    } catch (const std::exception& e) {
      net::log_event(net::LogLevel::error, "socketio_middleware_failed",
                     {{"socket", socket->id()}, {"error", e.what()}});
      finish(ConnectError{"internal error", nullptr});
    }
  }
};

}  // namespace

void Namespace::authorize(const SocketPtr& socket,
                          std::function<void(std::optional<ConnectError>)> done) {
  std::make_shared<MiddlewareRun>(middleware_, socket, std::move(done))->step();
}

bool Namespace::admit(const SocketPtr& socket) {
  if (!adapter_->add_socket(socket)) return false;
  ++socket_count_;
  return true;
}

void Namespace::welcome(Socket& socket) {
  socket.welcomed_ = true;
  if (recovery_) recovery_->opened(socket);
  if (on_connection_) on_connection_(socket);
}

void Namespace::on(std::string event, Socket::EventHandler handler) {
  handlers_.emplace_back(std::move(event), std::move(handler));
}

const Socket::EventHandler* Namespace::handler_for(std::string_view event) const {
  for (const auto& [name, handler] : handlers_) {
    if (name == event) return &handler;
  }
  return nullptr;
}

void Namespace::disconnected(const Socket& socket) {
  --socket_count_;
  adapter_->remove_socket(socket.id());
}

}  // namespace socketio
