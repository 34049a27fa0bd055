#include "socketio/client.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/assert.hpp>

#include "net/log.hpp"
#include "socketio/server.hpp"

namespace socketio {

Client::Client(Server& server, std::shared_ptr<engineio::Session> session)
    : server_(server),
      session_(std::move(session)),
      decoder_(server.options().max_attachments, server.options().max_attachment_bytes) {}

void Client::start() {
  session_->listen(shared_from_this());
  connect_timer_ = std::make_unique<boost::asio::steady_timer>(session_->executor(),
                                                               server_.options().connect_timeout);
  connect_timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->sockets_.empty()) return;
    net::log_event(net::LogLevel::debug, "socketio_connect_timeout",
                   {{"sid", self->session_->id()}});
    self->session_->close(engineio::CloseReason::forced_close);
  });
}

void Client::on_session_message(engineio::Session&, std::string&& data, bool binary) {
  auto result = binary ? decoder_.feed_binary(std::move(data)) : decoder_.feed_text(data);
  if (auto* error = std::get_if<Error>(&result)) {
    protocol_error(*error);
    return;
  }
  if (auto* packet = std::get_if<Packet>(&result)) {
    try {
      on_packet(std::move(*packet));
    } catch (const std::exception& e) {
      // A failing handler is a bug in the application, not the client's fault: log it and keep
      // the connection.
      net::log_event(net::LogLevel::error, "socketio_handler_failed",
                     {{"sid", session_->id()}, {"error", e.what()}});
    }
  }
}

void Client::on_packet(Packet&& packet) {
  if (packet.type == PacketType::connect) {
    connect(std::move(packet));
    return;
  }
  if (packet.type == PacketType::connect_error) {
    protocol_error(Error::connect_error_from_client);
    return;
  }
  auto socket = find(packet.nsp);
  if (!socket || !socket->connected()) return;  // not (yet) connected there: ignored
  switch (packet.type) {
    case PacketType::disconnect:
      socket->close(DisconnectReason::client_namespace_disconnect);
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
    server_.observer().connect_refused(ConnectRefusal::invalid_namespace);
    refuse(packet.nsp, ConnectError{"Invalid namespace", nullptr});
    return;
  }
  if (find(packet.nsp)) return;  // already connected or connecting there
  auto auth = packet.has_data ? std::move(packet.data) : boost::json::object{};
  auto resume = nsp->recovery() ? ResumeRequest::from(auth) : std::nullopt;
  auto socket = std::make_shared<Socket>(*nsp, session_, weak_from_this(), std::move(auth));
  sockets_.push_back(socket);
  nsp->authorize(socket, [self = shared_from_this(), socket,
                          resume = std::move(resume)](std::optional<ConnectError> error) mutable {
    // The auth payload is the middleware's alone, and it can be large: never keep it longer.
    socket->release_auth();
    if (!self->holds(socket)) return;  // the connection closed while the middleware was deciding
    if (error) {
      self->server_.observer().connect_refused(ConnectRefusal::middleware);
      self->forget(*socket);
      self->refuse(socket->nsp().name(), std::move(*error));
      return;
    }
    self->connect_timer_.reset();
    if (resume) {
      self->resume(socket, std::move(*resume));
    } else {
      self->admit_afresh(socket);
    }
  });
}

std::optional<Client::ResumeRequest> Client::ResumeRequest::from(const boost::json::value& auth) {
  const auto* object = auth.if_object();
  const auto* pid = object ? object->if_contains("pid") : nullptr;
  if (!pid || !pid->is_string()) return std::nullopt;
  ResumeRequest request{std::string(pid->get_string()), std::nullopt};
  // A client that received no broadcast yet sends no offset; the store decides.
  if (const auto* offset = object->if_contains("offset"); offset && offset->is_string()) {
    request.offset = std::string(offset->get_string());
  }
  return request;
}

void Client::resume(const SocketPtr& socket, ResumeRequest request) {
  auto& store = *socket->nsp().recovery();
  // Copies: the handler below takes the request itself.
  const auto pid = request.pid;
  const auto offset = request.offset;
  store.restore(*socket, pid, offset,
                [self = shared_from_this(), socket,
                 request = std::move(request)](std::optional<SavedSession> session) mutable {
                  boost::asio::dispatch(
                      self->session_->executor(),
                      [self, socket, request = std::move(request), session = std::move(session)] {
                        self->rejoin(socket, request, session);
                      });
                });
}

void Client::rejoin(const SocketPtr& socket, const ResumeRequest& request,
                    const std::optional<SavedSession>& session) {
  BOOST_ASSERT(session_->executor().running_in_this_thread());
  if (!session) {
    if (holds(socket)) admit_afresh(socket);
    return;
  }
  auto& nsp = socket->nsp();
  socket->resume(session->sid, request.pid);
  if (!holds(socket)) {
    // Lost again while the store looked: the session waits for the client as before.
    nsp.recovery()->closed(*socket, session->rooms, DisconnectReason::transport_close);
    return;
  }
  socket->hold_broadcasts();
  if (!nsp.admit(socket)) {  // its old connection is still here: that one keeps the session
    give_up_resume(*socket);
    admit_afresh(socket);
    return;
  }
  socket->mark_connected();
  for (const auto& room : session->rooms) nsp.adapter().join(socket->id(), room);
  nsp.recovery()->missed(
      *socket, *session, request.offset,
      [self = shared_from_this(), socket](std::optional<std::vector<Packet>> missed) mutable {
        boost::asio::dispatch(self->session_->executor(),
                              [self, socket, missed = std::move(missed)]() mutable {
                                self->replay(socket, std::move(missed));
                              });
      });
}

namespace {

// The packets a resumed socket missed, encoded once, with their offsets and their size.
struct EncodedReplay {
  std::vector<std::vector<engineio::SharedPacket>> packets;
  std::vector<std::string> offsets;
  std::size_t bytes = 0;

  static EncodedReplay of(const std::vector<Packet>& missed) {
    EncodedReplay replay;
    for (const auto& packet : missed) {
      replay.packets.push_back(encode(packet));
      replay.offsets.emplace_back(offset_of(packet));
      for (const auto& part : replay.packets.back()) replay.bytes += part->bytes.size();
    }
    return replay;
  }
};

}  // namespace

void Client::replay(const SocketPtr& socket, std::optional<std::vector<Packet>> missed) {
  BOOST_ASSERT(session_->executor().running_in_this_thread());
  if (!holds(socket) || !socket->connected()) return;
  auto& nsp = socket->nsp();
  auto replay = missed ? EncodedReplay::of(*missed) : EncodedReplay{};
  if (!missed || replay.bytes > server_.options().max_recovery_bytes) {
    nsp.disconnected(*socket);
    socket->connected_ = false;
    give_up_resume(*socket);
    admit_afresh(renewed(socket));
    return;
  }
  {
    // The reply, the missed packets and the held broadcasts leave in one write.
    const engineio::Session::Corked corked(*session_);
    socket->send_connect_reply();
    for (auto& packets : replay.packets) session_->send(std::move(packets));
    socket->release_broadcasts(replay.offsets);
  }
  net::log_event(net::LogLevel::debug, "socketio_session_recovered",
                 {{"nsp", nsp.name()},
                  {"socket", socket->id()},
                  {"missed", std::to_string(replay.offsets.size())}});
  nsp.welcome(*socket);
}

void Client::give_up_resume(const Socket& socket) {
  // As a deliberate end: the store forgets the session it handed over.
  socket.nsp().recovery()->closed(socket, {}, DisconnectReason::server_namespace_disconnect);
}

SocketPtr Client::renewed(const SocketPtr& socket) {
  // A socket that was in the namespace keeps its id for good (other threads may read it): the
  // new session is a new socket, with what the middleware left on the old one.
  auto fresh = std::make_shared<Socket>(socket->nsp(), session_, weak_from_this(), nullptr);
  fresh->extensions = std::move(socket->extensions);
  fresh->set_data(socket->data());
  std::replace(sockets_.begin(), sockets_.end(), socket, fresh);
  return fresh;
}

void Client::admit_afresh(const SocketPtr& socket) {
  auto& nsp = socket->nsp();
  if (nsp.recovery()) socket->start_afresh();
  // A fresh id is new everywhere: admit cannot refuse it.
  nsp.admit(socket);
  socket->mark_connected();
  socket->send_connect_reply();
  nsp.welcome(*socket);
}

bool Client::holds(const SocketPtr& socket) const {
  return std::find(sockets_.begin(), sockets_.end(), socket) != sockets_.end();
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

void Client::on_session_closed(engineio::Session&, engineio::CloseReason reason) {
  connect_timer_.reset();
  auto sockets = std::move(sockets_);
  sockets_.clear();
  for (auto& socket : sockets) socket->close(disconnect_reason_of(reason));
}

void Client::protocol_error(Error error) {
  net::log_event(net::LogLevel::info, "socketio_protocol_error",
                 {{"sid", session_->id()},
                  {"remote", session_->request().remote_address},
                  {"reason", make_error_code(error).message()}});
  session_->close(engineio::CloseReason::parse_error);
}

SocketPtr Client::find(std::string_view nsp) const {
  for (const auto& socket : sockets_) {
    if (socket->nsp().name() == nsp) return socket;
  }
  return nullptr;
}

}  // namespace socketio
