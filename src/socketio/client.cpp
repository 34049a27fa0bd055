#include "socketio/client.hpp"

#include <spdlog/spdlog.h>

#include "base/log_value.hpp"
#include "socketio/server.hpp"

namespace socketio {

Client::Client(Server& server, std::shared_ptr<engineio::Session> session)
    : server_(server),
      session_(std::move(session)),
      decoder_(server.options().max_attachments, server.options().max_attachment_bytes) {}

void Client::start() {
  session_->on_message([self = shared_from_this()](std::string&& data, bool binary) {
    self->on_message(std::move(data), binary);
  });
  session_->on_close(
      [self = shared_from_this()](std::string_view reason) { self->on_session_closed(reason); });
  connect_timer_ = std::make_unique<boost::asio::steady_timer>(session_->executor(),
                                                               server_.options().connect_timeout);
  connect_timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->sockets_.empty()) return;
    spdlog::debug("event=socketio_connect_timeout sid={}", self->session_->id());
    self->session_->close("connect timeout");
  });
}

void Client::on_message(std::string&& data, bool binary) {
  auto result = binary ? decoder_.feed_binary(std::move(data)) : decoder_.feed_text(data);
  if (auto* error = std::get_if<DecodeError>(&result)) {
    protocol_error(error->reason);
    return;
  }
  if (auto* packet = std::get_if<Packet>(&result)) {
    try {
      on_packet(std::move(*packet));
    } catch (const std::exception& e) {
      // A failing handler is a bug in the application, not the client's fault: log it and keep
      // the connection.
      spdlog::error("event=socketio_handler_failed sid={} error={}", session_->id(),
                    base::quoted(e.what()));
    }
  }
}

void Client::on_packet(Packet&& packet) {
  if (packet.type == PacketType::connect) {
    connect(std::move(packet));
    return;
  }
  if (packet.type == PacketType::connect_error) {
    protocol_error("CONNECT_ERROR from a client");
    return;
  }
  auto socket = find(packet.nsp);
  if (!socket || !socket->connected()) return;  // not (yet) connected there: ignored
  switch (packet.type) {
    case PacketType::disconnect:
      socket->close("client namespace disconnect");
      forget(*socket);
      return;
    case PacketType::event:
    case PacketType::binary_event:
      socket->dispatch_event(std::move(packet));
      return;
    case PacketType::ack:
    case PacketType::binary_ack:
      socket->dispatch_ack(std::move(packet));
      return;
    default:
      return;
  }
}

void Client::connect(Packet&& packet) {
  auto* nsp = server_.find(packet.nsp);
  if (!nsp) {
    refuse(packet.nsp, ConnectError{"Invalid namespace", nullptr});
    return;
  }
  if (find(packet.nsp)) return;  // already connected or connecting there
  auto auth = packet.has_data ? std::move(packet.data) : boost::json::object{};
  auto socket = std::make_shared<Socket>(*nsp, session_, weak_from_this(), std::move(auth));
  sockets_.push_back(socket);
  nsp->authorize(socket, [self = shared_from_this(), socket](std::optional<ConnectError> error) {
    // The auth payload is the middleware's alone, and it can be large: never keep it longer.
    socket->release_auth();
    if (std::find(self->sockets_.begin(), self->sockets_.end(), socket) == self->sockets_.end()) {
      return;  // the connection closed while the middleware was deciding
    }
    if (error) {
      self->forget(*socket);
      self->refuse(socket->nsp().name(), std::move(*error));
      return;
    }
    self->connect_timer_.reset();
    socket->mark_connected();
    socket->nsp().connected(socket);
  });
}

void Client::refuse(const std::string& nsp, ConnectError error) {
  Packet packet;
  packet.type = PacketType::connect_error;
  packet.nsp = nsp;
  boost::json::object body{{"message", error.message}};
  if (!error.data.is_null()) body["data"] = std::move(error.data);
  packet.data = std::move(body);
  packet.has_data = true;
  for (auto& encoded : encode(packet)) session_->send(std::move(encoded));
}

void Client::forget(const Socket& socket) {
  std::erase_if(sockets_, [&](const SocketPtr& s) { return s.get() == &socket; });
}

void Client::on_session_closed(std::string_view reason) {
  connect_timer_.reset();
  auto sockets = std::move(sockets_);
  sockets_.clear();
  for (auto& socket : sockets) socket->close(reason);
}

void Client::protocol_error(std::string_view reason) {
  spdlog::info("event=socketio_protocol_error sid={} remote={} reason={}", session_->id(),
               session_->request().remote_address, base::quoted(reason));
  session_->close("parse error");
}

SocketPtr Client::find(std::string_view nsp) const {
  for (const auto& socket : sockets_) {
    if (socket->nsp().name() == nsp) return socket;
  }
  return nullptr;
}

}  // namespace socketio
