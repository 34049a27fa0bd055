#include "socketio/server.hpp"

#include "socketio/client.hpp"
#include "socketio/local_adapter.hpp"

namespace socketio {

Server::Server(engineio::Server& engine, ServerOptions options) : options_(options) {
  engine.on_connection([this](engineio::Session& session) {
    std::make_shared<Client>(*this, session.shared_from_this())->start();
  });
}

Namespace& Server::of(const std::string& name) {
  auto& nsp = namespaces_[name];
  if (!nsp) {
    nsp = std::make_unique<Namespace>(name);
    nsp->set_adapter(std::make_unique<LocalAdapter>());
    nsp->observer_ = observer_;
  }
  return *nsp;
}

void Server::set_observer(Observer& observer) {
  observer_ = &observer;
  for (auto& [name, nsp] : namespaces_) nsp->observer_ = &observer;
}

Namespace* Server::find(std::string_view name) const {
  auto it = namespaces_.find(name);
  return it == namespaces_.end() ? nullptr : it->second.get();
}

}  // namespace socketio
