#pragma once
// A Socket.IO v5 server on top of an Engine.IO server: namespaces by name, each with its
// middleware, connection handler and rooms.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "engineio/server.hpp"
#include "socketio/namespace.hpp"
#include "socketio/observer.hpp"
#include "socketio/options.hpp"

namespace socketio {

class Server {
 public:
  // Takes over `engine`'s connection handler.
  explicit Server(engineio::Server& engine, ServerOptions options = {});

  // The namespace called `name`, created on first use. Only namespaces created here exist, the
  // main namespace "/" included: a CONNECT to any other gets CONNECT_ERROR "Invalid namespace".
  // Create namespaces before serving.
  Namespace& of(const std::string& name);
  Namespace* find(std::string_view name) const;
  const ServerOptions& options() const { return options_; }
  // Who hears of refused CONNECTs, dropped packets and broadcasts (see observer.hpp), on every
  // namespace. Install before serving; it must outlive the server.
  void set_observer(Observer& observer);
  Observer& observer() const { return *observer_; }

 private:
  ServerOptions options_;
  Observer* observer_ = &Observer::none();
  std::map<std::string, std::unique_ptr<Namespace>, std::less<>> namespaces_;
};

}  // namespace socketio
