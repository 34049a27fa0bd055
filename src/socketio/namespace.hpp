#pragma once
// A Socket.IO namespace: its connection middleware, its connection handler, and its rooms.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/broadcast.hpp"
#include "socketio/observer.hpp"
#include "socketio/recovery.hpp"
#include "socketio/socket.hpp"

namespace socketio {

// Why a connection was refused; the client sees `message` and `data` in its connect_error.
struct ConnectError {
  std::string message;
  boost::json::value data;  // null: not sent
};

class Namespace {
 public:
  // `next` must be called once, from any thread: nullopt lets the connection through.
  using Next = std::function<void(std::optional<ConnectError>)>;
  using Middleware = std::function<void(Socket&, Next next)>;
  using ConnectionHandler = std::function<void(Socket&)>;

  explicit Namespace(std::string name);

  const std::string& name() const { return name_; }
  // Register before serving; middleware runs in order for every connection.
  void use(Middleware middleware) { middleware_.push_back(std::move(middleware)); }
  void on_connection(ConnectionHandler handler) { on_connection_ = std::move(handler); }
  // Handlers for every socket of the namespace, registered once before serving instead of on
  // each socket in the connection handler: a socket then carries no handler of its own, which
  // is most of what an idle connection would spend on them. A socket's own handler for an
  // event (Socket::on) comes first; a namespace's disconnect handlers run after the socket's.
  void on(std::string event, Socket::EventHandler handler);
  void on_disconnect(Socket::DisconnectHandler handler) {
    disconnect_handlers_.push_back(std::move(handler));
  }
  void set_adapter(std::unique_ptr<Adapter> adapter) { adapter_ = std::move(adapter); }
  // Turns connection state recovery on (see recovery.hpp): CONNECT replies carry a private id,
  // broadcast events an offset, and a client that comes back resumes its session. Off by
  // default, as in the Node server. Set before serving.
  void enable_recovery(std::shared_ptr<SessionStore> store) { recovery_ = std::move(store); }
  SessionStore* recovery() const { return recovery_.get(); }

  Adapter& adapter() { return *adapter_; }
  // The server's observer (Server::set_observer).
  Observer& observer() const { return *observer_; }
  std::size_t socket_count() const { return socket_count_.load(); }

  // Broadcasting.
  Broadcast to(std::string room) { return broadcast().to(std::move(room)); }
  Broadcast except(std::string room) { return broadcast().except(std::move(room)); }
  void emit(std::string_view event, boost::json::array args = {}) {
    broadcast().emit(event, std::move(args));
  }
  Broadcast broadcast() { return Broadcast(*adapter_, name_, recovery_.get(), *observer_); }

 private:
  friend class Client;
  friend class Server;
  friend class Socket;
  // Runs the middleware chain on the socket's strand, then `done` with the verdict.
  void authorize(const SocketPtr& socket, std::function<void(std::optional<ConnectError>)> done);
  // A socket that passed the middleware joins the namespace; false when a socket with its id is
  // here already (see Adapter::add_socket).
  bool admit(const SocketPtr& socket);
  // Then, once it is ready, the application meets it.
  void welcome(Socket& socket);
  void disconnected(const Socket& socket);
  // The namespace-wide handler for `event`, or null.
  const Socket::EventHandler* handler_for(std::string_view event) const;
  const std::vector<Socket::DisconnectHandler>& disconnect_handlers() const {
    return disconnect_handlers_;
  }

  std::string name_;
  std::vector<Middleware> middleware_;
  ConnectionHandler on_connection_;
  std::vector<std::pair<std::string, Socket::EventHandler>> handlers_;
  std::vector<Socket::DisconnectHandler> disconnect_handlers_;
  std::unique_ptr<Adapter> adapter_;
  std::shared_ptr<SessionStore> recovery_;
  Observer* observer_ = &Observer::none();
  std::atomic<std::size_t> socket_count_{0};
};

}  // namespace socketio
