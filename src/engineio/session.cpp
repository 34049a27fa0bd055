#include "engineio/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/assert.hpp>

#include "engineio/errors.hpp"
#include "engineio/payload.hpp"
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
const SharedPacket& noop_packet() {
  static const SharedPacket packet = encode_packet(PacketType::noop);
  return packet;
}
const SharedPacket& close_packet() {
  static const SharedPacket packet = encode_packet(PacketType::close);
  return packet;
}

net::HttpResponse packets_response(std::span<const SharedPacket> packets) {
  return net::HttpResponse::text(200, encode_payload(packets));
}

// A packet waiting for a poll costs its bytes, its slot in the buffer and its shared allocation.
std::size_t buffered_cost(const EncodedPacket& packet) {
  constexpr std::size_t kPacketOverheadBytes = sizeof(SharedPacket) + sizeof(EncodedPacket) + 32;
  return packet.bytes.size() + kPacketOverheadBytes;
}

net::SharedBytes bytes_of(const SharedPacket& packet) {
  // Shares ownership with the packet: no copy, no allocation.
  return net::SharedBytes(packet, &packet->bytes);
}

}  // namespace

Session::Session(std::string id, net::Strand strand, net::HttpRequest request,
                 const ServerOptions& options, SessionRegistry& registry)
    : id_(std::move(id)),
      strand_(strand),
      request_(std::move(request)),
      options_(options),
      registry_(registry),
      heartbeat_(strand) {
  ++live_sessions;
  request_.body.clear();
  request_.body.shrink_to_fit();
  std::erase_if(request_.headers, [this](const auto& header) {
    return std::find(options_.kept_headers.begin(), options_.kept_headers.end(), header.first) ==
           options_.kept_headers.end();
  });
  request_.headers.shrink_to_fit();
}

Session::~Session() {
  --live_sessions;
}

std::size_t live_session_count() {
  return live_sessions.load();
}

void Session::on_message(MessageHandler handler) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  message_handler_ = std::move(handler);
}

void Session::on_close(CloseHandler handler) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  close_handler_ = std::move(handler);
}

net::SendStatus Session::send(SharedPacket packet) {
  if (ended_.load(std::memory_order_relaxed)) return net::SendStatus::dropped_closed;
  if (strand_.running_in_this_thread()) return send_now(std::move(packet));
  asio::post(strand_, [self = shared_from_this(), packet = std::move(packet)]() mutable {
    self->send_now(std::move(packet));
  });
  return net::SendStatus::queued;
}

net::SendStatus Session::send(std::vector<SharedPacket> packets) {
  if (ended_.load(std::memory_order_relaxed)) return net::SendStatus::dropped_closed;
  auto send_all = [self = shared_from_this(), packets = std::move(packets)]() mutable {
    for (auto& packet : packets) {
      const auto status = self->send_now(std::move(packet));
      if (net::was_dropped(status)) return status;
    }
    return net::SendStatus::queued;
  };
  if (strand_.running_in_this_thread()) return send_all();
  asio::post(strand_, std::move(send_all));
  return net::SendStatus::queued;
}

net::SendStatus Session::send_volatile(SharedPacket packet) {
  if (ended_.load(std::memory_order_relaxed)) return net::SendStatus::dropped_closed;
  if (strand_.running_in_this_thread()) return send_volatile_now(std::move(packet));
  asio::post(strand_, [self = shared_from_this(), packet = std::move(packet)]() mutable {
    self->send_volatile_now(std::move(packet));
  });
  return net::SendStatus::queued;
}

net::SendStatus Session::send_volatile_now(SharedPacket packet) {
  if (!can_send_immediately()) {
    return state_ == State::open ? net::SendStatus::dropped_not_ready
                                 : net::SendStatus::dropped_closed;
  }
  return send_now(std::move(packet));
}

bool Session::can_send_immediately() const {
  if (state_ != State::open) return false;
  if (transport_ == Transport::websocket) return websocket_->queued_bytes() == 0;
  return pending_poll_ != nullptr;
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
  asio::dispatch(strand_, [self = shared_from_this(), reason, discard] {
    if (self->state_ == State::closed) return;
    if (self->state_ == State::closing && !discard) return;
    if (self->transport_ == Transport::polling && !self->pending_poll_ && !discard) {
      // Nobody is listening right now: leave the close packet for the next poll, and give up
      // on that poll after a ping timeout.
      self->buffer_.push_back(close_packet());
      self->state_ = State::closing;
      self->closing_reason_ = reason;
      self->arm_heartbeat(self->options_.ping_timeout);
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

void Session::start_polling(net::HttpExchangePtr handshake,
                            const std::function<void(Session&)>& announce) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  buffer_.push_back(open_packet(true));
  pending_poll_ = std::move(handshake);
  arm_heartbeat(options_.ping_interval);
  if (announce) announce(*this);
  flush_poll();
}

void Session::start_websocket(net::WebSocketPtr ws, const std::function<void(Session&)>& announce) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  transport_ = Transport::websocket;
  attach_websocket(std::move(ws));
  websocket_->send(bytes_of(open_packet(false)), false);
  arm_heartbeat(options_.ping_interval);
  if (announce) announce(*this);
}

void Session::attach_websocket(net::WebSocketPtr ws) {
  const net::WebSocket* raw = ws.get();
  ws->start({
      [self = shared_from_this(), raw](std::string&& data, bool binary) {
        self->on_websocket_message(raw, std::move(data), binary);
      },
      [self = shared_from_this(), raw](boost::system::error_code reason) {
        self->on_websocket_closed(raw, reason);
      },
  });
  if (transport_ == Transport::websocket && !websocket_) {
    websocket_ = std::move(ws);
  } else {
    probe_ = std::move(ws);
  }
}

bool Session::refuse_polling_request(const net::HttpExchangePtr& exchange) {
  if (state_ == State::closed) {
    exchange->respond(error_response(Error::unknown_sid));
    return true;
  }
  if (transport_ != Transport::polling) {
    exchange->respond(error_response(Error::bad_request));
    return true;
  }
  return false;
}

void Session::handle_poll(net::HttpExchangePtr exchange) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (refuse_polling_request(exchange)) return;
  if (pending_poll_) {
    // Two polls at once means a confused or malicious client: end the session.
    exchange->respond(error_response(Error::bad_request, "Overlapping poll"));
    close_now(CloseReason::transport_error, Initiator::server);
    return;
  }
  if (state_ == State::upgrading) {
    // Lets the client finish its poll cycle and pause, so the upgrade can complete.
    exchange->respond(packets_response({&noop_packet(), 1}));
    return;
  }
  pending_poll_ = std::move(exchange);
  if (state_ == State::closing) {
    close_now(closing_reason_, Initiator::server);  // delivers the waiting close packet
    return;
  }
  if (!buffer_.empty()) flush_poll();
}

void Session::handle_post(std::string body, net::HttpExchangePtr exchange) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (refuse_polling_request(exchange)) return;
  const auto separators =
      static_cast<std::size_t>(std::count(body.begin(), body.end(), kRecordSeparator));
  if (separators >= options_.max_packets_per_payload) {
    exchange->respond(error_response(Error::bad_request, "Too many packets in payload"));
    close_now(CloseReason::parse_error, Initiator::server);
    return;
  }
  auto packets = decode_payload(body);
  if (!packets) {
    exchange->respond(error_response(Error::bad_request, "Malformed payload"));
    close_now(CloseReason::parse_error, Initiator::server);
    return;
  }
  for (auto& packet : *packets) {
    if (state_ == State::closed) break;
    on_packet(std::move(packet));
  }
  exchange->respond(net::HttpResponse::text(200, "ok"));
}

void Session::handle_oversized_post(net::HttpExchangePtr exchange) {
  exchange->respond(error_response(Error::bad_request, "Payload too large", 413));
  if (state_ != State::closed) close_now(CloseReason::payload_too_large, Initiator::server);
}

bool Session::can_upgrade() const {
  return state_ == State::open && transport_ == Transport::polling && !probe_;
}

void Session::handle_upgrade_request(net::HttpExchangePtr exchange) {
  // A WebSocket that cannot take over (the session upgraded or is upgrading already) is still
  // accepted, then closed at once: that is what the reference server does, and what clients
  // expect to see (a close, not an HTTP error).
  net::WebSocketLimits limits{options_.max_payload, options_.max_buffered_bytes};
  exchange->accept_websocket(strand_, limits, [self = shared_from_this()](net::WebSocketPtr ws) {
    if (!ws) return;
    if (!self->can_upgrade()) {
      ws->close();
      return;
    }
    self->attach_websocket(std::move(ws));
    self->upgrade_timer_ = std::make_unique<asio::steady_timer>(self->strand_);
    self->upgrade_timer_->expires_after(self->options_.upgrade_timeout);
    self->upgrade_timer_->async_wait([self](boost::system::error_code ec) {
      if (!ec && self->probe_) self->abandon_upgrade();
    });
  });
}

net::SendStatus Session::send_now(SharedPacket packet) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (state_ == State::closed || state_ == State::closing) return net::SendStatus::dropped_closed;
  if (transport_ == Transport::websocket) return websocket_->send(bytes_of(packet), packet->binary);
  buffered_bytes_ += buffered_cost(*packet);
  buffer_.push_back(std::move(packet));
  if (buffered_bytes_ > options_.max_buffered_bytes) {
    close_now(CloseReason::send_buffer_overflow, Initiator::server);
    return net::SendStatus::dropped_overflow;
  }
  schedule_flush();
  return net::SendStatus::queued;
}

void Session::schedule_flush() {
  if (flush_scheduled_ || !pending_poll_ || state_ == State::upgrading) return;
  // Deferred so that packets sent in one burst leave in one response.
  flush_scheduled_ = true;
  asio::post(strand_, [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush_poll();
  });
}

void Session::flush_poll() {
  if (!pending_poll_ || buffer_.empty() || state_ == State::upgrading) return;
  auto poll = std::move(pending_poll_);
  poll->respond(packets_response(buffer_));
  buffer_.clear();
  buffered_bytes_ = 0;
}

void Session::on_packet(Packet&& packet) {
  switch (packet.type) {
    case PacketType::message:
      if (message_handler_) message_handler_(std::move(packet.data), packet.binary);
      return;
    case PacketType::pong:
      if (awaiting_pong_) arm_heartbeat(options_.ping_interval);
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

void Session::on_websocket_message(const net::WebSocket* from, std::string&& data, bool binary) {
  if (state_ == State::closed) return;
  std::optional<Packet> packet;
  if (binary) {
    packet = Packet{PacketType::message, std::move(data), true};
  } else {
    packet = decode_text_packet(data);
  }
  if (from == probe_.get()) {
    if (!packet) {
      abandon_upgrade();
      return;
    }
    on_probe_packet(std::move(*packet));
    return;
  }
  if (from != websocket_.get()) return;
  if (!packet) {
    close_now(CloseReason::parse_error, Initiator::server);
    return;
  }
  on_packet(std::move(*packet));
}

void Session::on_probe_packet(Packet&& packet) {
  if (packet.type == PacketType::ping && packet.data == "probe" && state_ == State::open) {
    probe_->send(bytes_of(encode_packet(PacketType::pong, "probe")), false);
    state_ = State::upgrading;
    if (pending_poll_) {
      std::exchange(pending_poll_, nullptr)->respond(packets_response({&noop_packet(), 1}));
    }
    return;
  }
  if (packet.type == PacketType::upgrade && state_ == State::upgrading) {
    complete_upgrade();
    return;
  }
  abandon_upgrade();
}

void Session::complete_upgrade() {
  upgrade_timer_.reset();
  state_ = State::open;
  transport_ = Transport::websocket;
  websocket_ = std::move(probe_);
  if (pending_poll_) {
    std::exchange(pending_poll_, nullptr)->respond(packets_response({&noop_packet(), 1}));
  }
  // Taken out first: a send that overflows closes the session, which clears buffer_.
  auto waiting = std::exchange(buffer_, {});
  buffered_bytes_ = 0;
  for (auto& packet : waiting) {
    if (state_ == State::closed) break;
    websocket_->send(bytes_of(packet), packet->binary);
  }
}

void Session::abandon_upgrade() {
  upgrade_timer_.reset();
  if (auto probe = std::move(probe_)) probe->close();
  if (state_ == State::upgrading) {
    state_ = State::open;
    flush_poll();
  }
}

void Session::on_websocket_closed(const net::WebSocket* from, boost::system::error_code reason) {
  if (from == probe_.get()) {
    abandon_upgrade();
    return;
  }
  if (from == websocket_.get() && state_ != State::closed) {
    close_now(close_reason_of_websocket(reason), Initiator::client);
  }
}

void Session::arm_heartbeat(std::chrono::milliseconds delay) {
  awaiting_pong_ = false;
  const auto generation = ++heartbeat_generation_;
  heartbeat_.expires_after(delay);
  heartbeat_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != self->heartbeat_generation_) return;
    self->on_heartbeat();
  });
}

void Session::on_heartbeat() {
  if (state_ == State::closed) return;
  if (state_ == State::closing || awaiting_pong_) {
    close_now(state_ == State::closing ? closing_reason_ : CloseReason::ping_timeout,
              Initiator::server);
    return;
  }
  send_now(ping_packet());
  arm_heartbeat(options_.ping_timeout);
  awaiting_pong_ = true;
}

void Session::close_now(CloseReason reason, Initiator initiator) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (state_ == State::closed) return;
  ended_.store(true, std::memory_order_relaxed);
  const bool was_closing = state_ == State::closing;
  state_ = State::closed;
  ++heartbeat_generation_;
  heartbeat_.cancel();
  upgrade_timer_.reset();
  registry_.remove(id_);

  if (pending_poll_) {
    if (initiator == Initiator::client) {
      // The client said goodbye: a quiet noop ends its poll.
      std::exchange(pending_poll_, nullptr)->respond(packets_response({&noop_packet(), 1}));
    } else {
      // What was still waiting goes out first, then the close packet (already queued when the
      // session was closing).
      if (!was_closing) buffer_.push_back(close_packet());
      std::exchange(pending_poll_, nullptr)->respond(packets_response(buffer_));
    }
  }
  if (websocket_) {
    if (initiator == Initiator::server) websocket_->send(bytes_of(close_packet()), false);
    websocket_->close();
  }
  if (probe_) probe_->close();
  buffer_.clear();
  buffered_bytes_ = 0;

  net::log_event(net::LogLevel::debug, "engineio_session_closed",
                 {{"sid", id_}, {"reason", to_string(reason)}});
  if (auto on_close = std::move(close_handler_)) on_close(reason);
  // Dropping the handlers breaks the cycles they may hold (session -> handler -> session); it
  // is deferred because this may run inside the message handler itself.
  asio::post(strand_, [self = shared_from_this()] {
    self->message_handler_ = nullptr;
    self->close_handler_ = nullptr;
    self->websocket_.reset();
    self->probe_.reset();
  });
}

}  // namespace engineio
