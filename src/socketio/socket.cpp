#include "socketio/socket.hpp"

#include <boost/asio/post.hpp>
#include <boost/assert.hpp>

#include "engineio/sid.hpp"
#include "net/log.hpp"
#include "socketio/client.hpp"
#include "socketio/event_packet.hpp"
#include "socketio/namespace.hpp"

namespace socketio {

namespace asio = boost::asio;

Socket::Socket(Namespace& nsp, std::shared_ptr<engineio::Session> session,
               std::weak_ptr<Client> client, boost::json::value auth)
    : id_(engineio::generate_sid()),
      nsp_(nsp),
      session_(std::move(session)),
      client_(std::move(client)),
      auth_(std::move(auth)) {}

Socket::Extras& Socket::extras() {
  BOOST_ASSERT(executor().running_in_this_thread());
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

void Socket::on(std::string event, EventHandler handler) {
  BOOST_ASSERT(executor().running_in_this_thread());
  extras().handlers.emplace_back(std::move(event), std::move(handler));
}

void Socket::on_disconnect(DisconnectHandler handler) {
  BOOST_ASSERT(executor().running_in_this_thread());
  extras().disconnect_handlers.push_back(std::move(handler));
}

net::SendStatus Socket::emit(std::string_view event, boost::json::array args,
                             std::vector<std::string> attachments) {
  if (!connected_) return dropped(net::SendStatus::dropped_closed, 1 + attachments.size());
  return send_packet(
      make_event_packet(nsp_.name(), event, std::move(args), std::move(attachments)));
}

net::SendStatus Socket::emit_volatile(std::string_view event, boost::json::array args) {
  if (!connected_) return dropped(net::SendStatus::dropped_closed, 1);
  return deliver(encode(make_event_packet(nsp_.name(), event, std::move(args), {})), true);
}

void Socket::emit_with_ack(std::string_view event, boost::json::array args,
                           std::chrono::milliseconds timeout, AckCallback callback,
                           std::vector<std::string> attachments) {
  auto packet = make_event_packet(nsp_.name(), event, std::move(args), std::move(attachments));
  session_->run_in_order([self = shared_from_this(), packet = std::move(packet), timeout,
                          callback = std::move(callback)]() mutable {
    if (!self->connected_) {
      callback(AckResult{true, {}, {}});
      return;
    }
    auto& extras = self->extras();
    const auto id = extras.next_ack_id++;
    auto timer = std::make_unique<asio::steady_timer>(self->session_->executor(), timeout);
    timer->async_wait([weak = self->weak_from_this(), id](boost::system::error_code ec) {
      auto socket = weak.lock();
      if (ec || !socket) return;
      if (auto expired = socket->take_pending_ack(id)) expired(AckResult{true, {}, {}});
    });
    extras.pending_acks.push_back({id, std::move(callback), std::move(timer)});
    packet.ack_id = id;
    self->send_packet(std::move(packet));
  });
}

// Membership changes run on the strand, in order with close(): a join that races a disconnect
// can then never leave a departed socket behind in a room.
void Socket::join(const std::string& room, std::function<void()> joined) {
  session_->run_in_order([self = shared_from_this(), room, joined = std::move(joined)] {
    if (self->connected_) {
      self->nsp_.adapter().join(self->id_, room);
      self->rooms_changed();
    }
    if (joined) joined();
  });
}

void Socket::leave(const std::string& room) {
  session_->run_in_order([self = shared_from_this(), room] {
    if (!self->connected_) return;
    self->nsp_.adapter().leave(self->id_, room);
    self->rooms_changed();
  });
}

std::vector<std::string> Socket::rooms() const {
  return nsp_.adapter().rooms_of(id_);
}

void Socket::disconnect(bool close_connection) {
  session_->run_in_order([self = shared_from_this(), close_connection] {
    if (!self->connected_) return;
    Packet packet;
    packet.type = PacketType::disconnect;
    packet.nsp = self->nsp_.name();
    self->send_packet(std::move(packet));
    self->close(DisconnectReason::server_namespace_disconnect);
    if (auto client = self->client_.lock()) client->forget(*self);
    if (close_connection) self->session_->close();
  });
}

net::SendStatus Socket::deliver(const std::vector<engineio::SharedPacket>& packets,
                                bool is_volatile, std::string_view offset) {
  if (!offset.empty() && was_replayed(offset)) return net::SendStatus::queued;  // sent already
  if (replaying_) {
    if (is_volatile) return dropped(net::SendStatus::dropped_not_ready, packets.size());
    session_->run_in_order(
        [self = shared_from_this(), packets, offset = std::string(offset)]() mutable {
          self->hold(std::move(packets), std::move(offset));
        });
    return net::SendStatus::queued;
  }
  if (!connected_) return dropped(net::SendStatus::dropped_closed, packets.size());
  if (packets.size() == 1) {
    return is_volatile ? session_->send_volatile(packets.front()) : session_->send(packets.front());
  }
  // Binary attachments cannot be volatile: half a packet would break the stream.
  if (is_volatile) return dropped(net::SendStatus::dropped_not_ready, packets.size());
  return session_->send(packets);
}

net::SendStatus Socket::dropped(net::SendStatus why, std::size_t count) const {
  nsp_.observer().packets_dropped(why, count);
  return why;
}

net::SendStatus Socket::send_packet(Packet&& packet) {
  auto packets = encode(packet);
  if (packets.size() == 1) return session_->send(std::move(packets.front()));
  return session_->send(std::move(packets));
}

void Socket::resume(const std::string& sid, std::string pid) {
  BOOST_ASSERT(!connected_);
  id_ = sid;
  pid_ = std::move(pid);
  recovered_ = true;
}

void Socket::hold(std::vector<engineio::SharedPacket> packets, std::string offset) {
  BOOST_ASSERT(executor().running_in_this_thread());
  if (replaying_) {
    extras().held.push_back({std::move(packets), std::move(offset)});
  } else if (connected_) {
    deliver(packets, false, offset);  // the replay ended while this was on its way
  }
}

void Socket::release_broadcasts(const std::vector<std::string>& replayed_offsets) {
  BOOST_ASSERT(executor().running_in_this_thread());
  remember_replayed(Offsets(replayed_offsets.begin(), replayed_offsets.end()));
  replaying_ = false;
  if (!extras_) return;
  auto held = std::move(extras_->held);
  extras_->held.clear();
  for (auto& broadcast : held) deliver(broadcast.packets, false, broadcast.offset);
}

bool Socket::was_replayed(std::string_view offset) const {
  if (!remembers_replay_.load(std::memory_order_acquire)) return false;
  const auto offsets = replayed_.load();
  return offsets && offsets->contains(std::string(offset));
}

void Socket::remember_replayed(Offsets offsets) {
  // Long enough for any live copy of a replayed broadcast to have come: it was committed before
  // the replay was read, and is announced right after its commit.
  constexpr auto kReplayMemory = std::chrono::seconds(30);
  if (offsets.empty()) return;
  replayed_.store(std::make_shared<const Offsets>(std::move(offsets)));
  remembers_replay_.store(true, std::memory_order_release);
  auto& timer = extras().replay_memory;
  timer = std::make_unique<asio::steady_timer>(session_->executor(), kReplayMemory);
  timer->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || ec) return;
    self->remembers_replay_ = false;
    self->replayed_.store(nullptr);
  });
}

void Socket::start_afresh() {
  BOOST_ASSERT(!connected_);
  id_ = engineio::generate_sid();
  pid_ = engineio::generate_sid();
  recovered_ = false;
  replaying_ = false;
  if (extras_) extras_->held.clear();
}

void Socket::send_connect_reply() {
  Packet reply;
  reply.type = PacketType::connect;
  reply.nsp = nsp_.name();
  boost::json::object data{{"sid", id_}};
  if (!pid_.empty()) data["pid"] = pid_;
  reply.data = std::move(data);
  reply.has_data = true;
  send_packet(std::move(reply));
}

void Socket::rooms_changed() {
  if (auto* store = nsp_.recovery()) store->rooms_changed(*this);
}

void Socket::dispatch_event(Packet&& packet) {
  BOOST_ASSERT(executor().running_in_this_thread());
  Event event(shared_from_this(), std::move(packet));
  const auto* handler = own_handler_for(event.name());
  if (!handler) handler = nsp_.handler_for(event.name());
  if (handler) {
    (*handler)(*this, event);
    return;
  }
  net::log_event(net::LogLevel::debug, "socketio_unhandled_event",
                 {{"nsp", nsp_.name()}, {"socket", id_}, {"name", event.name()}});
}

void Socket::dispatch_ack(Packet&& packet) {
  BOOST_ASSERT(executor().running_in_this_thread());
  if (auto callback = take_pending_ack(*packet.ack_id)) {
    callback(AckResult{false, std::move(packet.data.as_array()), std::move(packet.attachments)});
  }
}

Socket::AckCallback Socket::take_pending_ack(std::uint64_t id) {
  if (!extras_) return {};
  auto& pending = extras_->pending_acks;
  auto it = std::find_if(pending.begin(), pending.end(),
                         [id](const PendingAck& ack) { return ack.id == id; });
  if (it == pending.end()) return {};
  auto callback = std::move(it->callback);
  pending.erase(it);
  return callback;
}

const Socket::EventHandler* Socket::own_handler_for(std::string_view event) const {
  if (!extras_) return nullptr;
  for (const auto& [name, handler] : extras_->handlers) {
    if (name == event) return &handler;
  }
  return nullptr;
}

void Socket::close(DisconnectReason reason) {
  BOOST_ASSERT(executor().running_in_this_thread());
  const bool was_connected = connected_.exchange(false);
  if (extras_) {
    extras_->pending_acks.clear();
    extras_->held.clear();
    extras_->replay_memory.reset();
  }
  if (!was_connected) return;
  if (auto* store = nsp_.recovery()) {
    auto rooms = nsp_.adapter().rooms_of(id_);
    std::erase(rooms, id_);  // its own room comes back with its id
    store->closed(*this, std::move(rooms), reason);
  }
  nsp_.disconnected(*this);
  net::log_event(net::LogLevel::debug, "socketio_disconnect",
                 {{"nsp", nsp_.name()}, {"socket", id_}, {"reason", to_string(reason)}});
  if (extras_) {
    for (auto& handler : extras_->disconnect_handlers) handler(*this, reason);
  }
  if (welcomed_) {
    for (const auto& handler : nsp_.disconnect_handlers()) handler(*this, reason);
  }
  // Handlers may hold this socket; dropping them breaks that cycle. Deferred, since this may run
  // inside one of them.
  asio::post(session_->executor(), [self = shared_from_this()] { self->extras_.reset(); });
}

}  // namespace socketio
