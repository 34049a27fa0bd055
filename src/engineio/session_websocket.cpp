// engineio::Session over WebSocket: a session opened on one directly, and the upgrade of a
// polling session (the client probes a WebSocket with "2probe", we answer "3probe" and pause its
// polling with a noop, and its "5" switches the session over; anything else abandons the probe).

#include <boost/asio/steady_timer.hpp>
#include <boost/assert.hpp>

#include "engineio/session.hpp"

namespace engineio {

namespace asio = boost::asio;

void Session::start_websocket(net::WebSocketPtr ws, const std::function<void(Session&)>& announce) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  transport_ = Transport::websocket;
  attach_websocket(std::move(ws));
  websocket_->send(bytes_of(open_packet(false)), false);
  start_heartbeat(options_.ping_interval);
  if (announce) announce(*this);
}

void Session::attach_websocket(net::WebSocketPtr ws) {
  ws->start(shared_from_this());
  if (transport_ == Transport::websocket && !websocket_) {
    websocket_ = std::move(ws);
  } else {
    probe_ = std::move(ws);
  }
}

bool Session::can_upgrade() const {
  return state_ == State::open && transport_ == Transport::polling && !probe_;
}

void Session::handle_upgrade_request(net::HttpExchangePtr exchange) {
  // A WebSocket that cannot take over (the session upgraded or is upgrading already) is still
  // accepted, then closed at once: that is what the reference server does, and what clients
  // expect to see (a close, not an HTTP error).
  net::WebSocketLimits limits{options_.max_payload, options_.max_buffered_bytes,
                              options_.websocket_handshake_timeout};
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

void Session::on_websocket_message(const net::WebSocket& from, std::string&& data, bool binary) {
  if (state_ == State::closed) return;
  std::optional<Packet> packet;
  if (binary) {
    packet = Packet{PacketType::message, std::move(data), true};
  } else {
    packet = decode_text_packet(data);
  }
  if (&from == probe_.get()) {
    if (!packet) {
      abandon_upgrade();
      return;
    }
    on_probe_packet(std::move(*packet));
    return;
  }
  if (&from != websocket_.get()) return;
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
    polling_.answer_noop();
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
  polling_.answer_noop();
  // Taken out first: a send that overflows closes the session, which clears the queue.
  auto waiting = polling_.take();
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

void Session::on_websocket_closed(const net::WebSocket& from, boost::system::error_code reason) {
  if (&from == probe_.get()) {
    abandon_upgrade();
    return;
  }
  if (&from == websocket_.get() && state_ != State::closed) {
    close_now(close_reason_of_websocket(reason), Initiator::client);
  }
}

}  // namespace engineio
