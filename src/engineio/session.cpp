#include "engineio/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/assert.hpp>

#include "engineio/errors.hpp"
#include "engineio/hand_off_batch.hpp"
#include "engineio/payload.hpp"
#include "engineio/poll_queue.hpp"
#include "engineio/session_registry.hpp"
#include "net/log.hpp"

namespace engineio {
namespace {

namespace asio = boost::asio;

std::atomic<std::size_t> live_sessions{0};

// Control packets are the same bytes for every session: encode them once.
const SharedPacket& ping_packet() {
  static const SharedPacket packet = encode_packet(PacketType::ping);
  return packet;
}
const SharedPacket& close_packet() {
  static const SharedPacket packet = encode_packet(PacketType::close);
  return packet;
}

}  // namespace

Session::Session(std::string id, Transport transport, net::Strand strand, net::HttpRequest request,
                 const ServerOptions& options, SessionRegistry& registry, Observer& observer,
                 HeartbeatScheduler& heartbeats)
    : id_(std::move(id)),
      strand_(strand),
      request_(std::move(static_cast<net::RequestHead&>(request))),
      options_(options),
      registry_(registry),
      observer_(observer),
      transport_(transport),
      polling_(transport == Transport::polling ? std::make_unique<Polling>() : nullptr),
      heartbeat_(heartbeats, *this) {
  ++live_sessions;
  std::erase_if(request_.headers, [this](const auto& header) {
    return std::find(options_.kept_headers.begin(), options_.kept_headers.end(), header.first) ==
           options_.kept_headers.end();
  });
  request_.headers.shrink_to_fit();
}

Session::~Session() {
  // First: the scheduler may be about to call heartbeat_due(), which needs the whole object.
  heartbeat_.stop();
  --live_sessions;
}

std::size_t live_session_count() {
  return live_sessions.load();
}

void Session::listen(std::shared_ptr<SessionListener> listener) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  listener_ = std::move(listener);
}

net::SendStatus Session::send(SharedPacket packet) {
  if (ended_.load(std::memory_order_relaxed)) return dropped(net::SendStatus::dropped_closed);
  if (strand_.running_in_this_thread()) return send_now(std::move(packet));
  hand_over(outbox_.put(std::move(packet), false));
  return net::SendStatus::queued;
}

net::SendStatus Session::send(std::vector<SharedPacket> packets) {
  if (ended_.load(std::memory_order_relaxed)) {
    return dropped(net::SendStatus::dropped_closed, packets.size());
  }
  if (!strand_.running_in_this_thread()) {
    hand_over(outbox_.put(std::move(packets)));
    return net::SendStatus::queued;
  }
  const auto corked = cork_for(packets.size() > 1);
  auto status = net::SendStatus::queued;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    status = send_now(std::move(packets[i]));
    if (!net::was_dropped(status)) continue;
    // send_now counted this one; the rest of the group is not sent either.
    dropped(status, packets.size() - i - 1);
    break;
  }
  if (corked) corked->uncork();
  return status;
}

net::SendStatus Session::send_volatile(SharedPacket packet) {
  if (ended_.load(std::memory_order_relaxed)) return dropped(net::SendStatus::dropped_closed);
  if (strand_.running_in_this_thread()) return send_volatile_now(std::move(packet));
  hand_over(outbox_.put(std::move(packet), true));
  return net::SendStatus::queued;
}

void Session::run_in_order(std::function<void()> task) {
  if (strand_.running_in_this_thread()) {
    task();
    return;
  }
  hand_over(outbox_.put(std::move(task)));
}

void Session::hand_over(bool outbox_was_empty) {
  if (!outbox_was_empty) return;
  if (auto* batch = HandOffBatch::current()) {
    batch->add(shared_from_this());
    return;
  }
  asio::post(strand_, [self = shared_from_this()] { self->send_handed_over(); });
}

void Session::send_handed_over() {
  BOOST_ASSERT(strand_.running_in_this_thread());
  // A waiting poll gets what was handed over in one answer, given here rather than by a handler
  // of its own.
  const bool flush_here = transport_ == Transport::polling && !flush_scheduled_;
  flush_scheduled_ = flush_scheduled_ || flush_here;
  send_outbox();
  if (flush_here) {
    flush_scheduled_ = false;
    flush_poll();
  }
}

Session::Corked::Corked(Session& session) : websocket_(session.cork_for(true)) {
  BOOST_ASSERT(session.strand_.running_in_this_thread());
}

Session::Corked::~Corked() {
  if (websocket_) websocket_->uncork();
}

net::WebSocketPtr Session::cork_for(bool several) {
  if (!several || transport_ != Transport::websocket || !websocket_) return nullptr;
  websocket_->cork();
  return websocket_;
}

void Session::send_outbox() {
  BOOST_ASSERT(strand_.running_in_this_thread());
  auto taken = outbox_.take();
  const auto corked = cork_for(taken.holds_several());
  while (!taken.empty()) {
    auto entry = taken.pop();
    if (!entry.packet) {
      entry.task();
      continue;
    }
    const auto status = entry.is_volatile ? send_volatile_now(std::move(entry.packet))
                                          : send_now(std::move(entry.packet));
    if (!net::was_dropped(status)) continue;
    // send_now counted this one; the rest of its group is not sent either.
    for (auto rest = entry.rest_of_group; rest > 0; --rest) taken.pop();
    dropped(status, entry.rest_of_group);
  }
  if (corked) corked->uncork();
}

net::SendStatus Session::send_volatile_now(SharedPacket packet) {
  if (!can_send_immediately()) {
    // An upgrading session is not closed: only not ready for a packet that cannot wait.
    const bool ending = state_ == State::closing || state_ == State::closed;
    return dropped(ending ? net::SendStatus::dropped_closed : net::SendStatus::dropped_not_ready);
  }
  return send_now(std::move(packet));
}

bool Session::can_send_immediately() const {
  if (state_ != State::open) return false;
  if (transport_ == Transport::websocket) return websocket_->queued_bytes() == 0;
  return has_poll();
}

net::SendStatus Session::send_text(std::string_view text) {
  return send(encode_packet(PacketType::message, text));
}

net::SendStatus Session::send_binary(std::string bytes) {
  return send(encode_binary_message(std::move(bytes)));
}

void Session::close(CloseReason reason) {
  end(reason, false);
}

void Session::discard(CloseReason reason) {
  end(reason, true);
}

void Session::end(CloseReason reason, bool discard) {
  // From now on sends are dropped at once: one made after this call must not leave before the
  // close packet. Those made before it go first (run_in_order).
  ended_.store(true, std::memory_order_relaxed);
  run_in_order([self = shared_from_this(), reason, discard] {
    if (self->state_ == State::closed) return;
    if (self->state_ == State::closing && !discard) return;
    if (self->transport_ == Transport::polling && !self->has_poll() && !discard) {
      // Nobody is listening right now: leave the close packet for the next poll, and give up
      // on that poll after a ping timeout.
      self->polling_->queue.push(close_packet());
      self->state_ = State::closing;
      self->closing_reason_ = reason;
      self->start_heartbeat(self->options_.ping_timeout);
      return;
    }
    self->close_now(reason, Initiator::server);
  });
}

SharedPacket Session::open_packet(bool can_upgrade) const {
  return encode_packet(
      PacketType::open,
      fmt::format(
          R"({{"sid":"{}","upgrades":[{}],"pingInterval":{},"pingTimeout":{},"maxPayload":{}}})",
          id_, can_upgrade ? R"("websocket")" : "", options_.ping_interval.count(),
          options_.ping_timeout.count(), options_.max_payload));
}

net::SendStatus Session::send_now(SharedPacket packet) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (state_ == State::closed || state_ == State::closing) {
    return dropped(net::SendStatus::dropped_closed);
  }
  if (transport_ == Transport::websocket) {
    const auto status = websocket_->send(bytes_of(packet), packet->binary);
    return net::was_dropped(status) ? dropped(status) : status;
  }
  polling_->queue.push(std::move(packet));
  if (polling_->queue.cost() > options_.max_buffered_bytes) {
    close_now(CloseReason::send_buffer_overflow, Initiator::server);
    return dropped(net::SendStatus::dropped_overflow);
  }
  schedule_flush();
  return net::SendStatus::queued;
}

// The polling side's part of close_now: the waiting poll gets what is left, and a probe ends.
void Session::close_polling(Initiator initiator, bool was_closing) {
  auto& polling = *polling_;
  polling.upgrade_timer.reset();
  if (polling.queue.has_poll()) {
    if (initiator == Initiator::client) {
      // The client said goodbye: a quiet noop ends its poll.
      polling.queue.answer_noop();
    } else {
      // What was still waiting goes out first, then the close packet (already queued when the
      // session was closing).
      if (!was_closing) polling.queue.push(close_packet());
      polling.queue.flush();
    }
  }
  if (polling.probe) polling.probe->close();
  polling.queue.clear();
}

ENGINEIO_NO_VPTR_CHECK net::SendStatus Session::dropped(net::SendStatus why,
                                                        std::size_t count) const {
  if (count > 0) observer_.packets_dropped(why, count);
  return why;
}

ENGINEIO_NO_VPTR_CHECK void Session::report_closed(CloseReason reason) {
  observer_.session_closed(reason);
  if (listener_) listener_->on_session_closed(*this, reason);
}

ENGINEIO_NO_VPTR_CHECK void Session::hand_up(std::string&& data, bool binary) {
  if (listener_) listener_->on_session_message(*this, std::move(data), binary);
}

void Session::on_packet(Packet&& packet) {
  switch (packet.type) {
    case PacketType::message:
      hand_up(std::move(packet.data), packet.binary);
      return;
    case PacketType::pong:
      if (heartbeat_.awaiting_pong()) start_heartbeat(options_.ping_interval);
      return;
    case PacketType::ping:
      // Heartbeats go server to client in v4. Answering a client's pings would let it queue a
      // pong per ping without ever reading them; the reference server closes such a session.
      close_now(CloseReason::transport_error, Initiator::server);
      return;
    case PacketType::close:
      close_now(CloseReason::transport_close, Initiator::client);
      return;
    case PacketType::noop:
      return;
    case PacketType::open:
    case PacketType::upgrade:
      close_now(CloseReason::parse_error, Initiator::server);
      return;
  }
}

void Session::start_heartbeat(std::chrono::milliseconds delay) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  heartbeat_.start(delay);
}

void Session::heartbeat_due(std::uint64_t generation) {
  // Under the scheduler's lock: the session is either still owned or in its destructor, which
  // waits for that lock (in heartbeat_.stop()) before anything of it goes away.
  auto self = weak_from_this().lock();
  if (!self) return;
  asio::post(strand_, [self = std::move(self), generation] {
    if (self->heartbeat_.is_current(generation)) self->on_heartbeat();
  });
}

void Session::on_heartbeat() {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (state_ == State::closed) return;
  if (state_ == State::closing || heartbeat_.awaiting_pong()) {
    close_now(state_ == State::closing ? closing_reason_ : CloseReason::ping_timeout,
              Initiator::server);
    return;
  }
  send_now(ping_packet());
  start_heartbeat(options_.ping_timeout);
  heartbeat_.expect_pong();
}

void Session::close_now(CloseReason reason, Initiator initiator) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (state_ == State::closed) return;
  ended_.store(true, std::memory_order_relaxed);
  const bool was_closing = state_ == State::closing;
  state_ = State::closed;
  heartbeat_.stop();
  registry_.remove(id_);

  if (polling_) close_polling(initiator, was_closing);
  if (websocket_) {
    if (initiator == Initiator::server) websocket_->send(bytes_of(close_packet()), false);
    websocket_->close();
  }

  net::log_event(net::LogLevel::debug, "engineio_session_closed",
                 {{"sid", id_}, {"reason", to_string(reason)}});
  report_closed(reason);
  // Dropping the listener breaks the cycle it may make (session -> listener -> session); it is
  // deferred because this may run inside the listener itself.
  asio::post(strand_, [self = shared_from_this()] {
    self->listener_.reset();
    self->websocket_.reset();
    self->polling_.reset();
  });
}

}  // namespace engineio
