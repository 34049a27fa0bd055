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
  BOOST_ASSERT(transport_ == Transport::websocket);
  if (state_ == State::closed) {
    // Ended (the server is going away) while its WebSocket handshake was still on its way.
    ws->close();
    return;
  }
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
    polling_->probe = std::move(ws);
  }
}

bool Session::can_upgrade() const {
  return state_ == State::open && transport_ == Transport::polling && !probe();
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
    auto& timer = self->polling_->upgrade_timer;
    timer = std::make_unique<asio::steady_timer>(self->strand_, self->options_.upgrade_timeout);
    timer->async_wait([self](boost::system::error_code ec) {
      if (!ec && self->probe()) self->abandon_upgrade();
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
  if (&from == probe()) {
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
    polling_->probe->send(bytes_of(encode_packet(PacketType::pong, "probe")), false);
    // A send that failed ended the probe, and with it the upgrade, already.
    if (!probe()) return;
    state_ = State::upgrading;
    polling_->queue.answer_noop();
    return;
  }
  if (packet.type == PacketType::upgrade && state_ == State::upgrading) {
    complete_upgrade();
    return;
  }
  abandon_upgrade();
}

void Session::complete_upgrade() {
  state_ = State::open;
  transport_ = Transport::websocket;
  websocket_ = std::move(polling_->probe);
  polling_->queue.answer_noop();
  auto waiting = polling_->queue.take();
  // Nothing polls any more. (Dropped before the sends below: one that overflows closes the
  // session, which would otherwise close what is left of the polling side.)
  polling_.reset();
  for (auto& packet : waiting) {
    if (state_ == State::closed) break;
    websocket_->send(bytes_of(packet), packet->binary);
  }
}

void Session::abandon_upgrade() {
  polling_->upgrade_timer.reset();
  if (auto probe = std::move(polling_->probe)) probe->close();
  if (state_ == State::upgrading) {
    state_ = State::open;
    flush_poll();
  }
}

void Session::on_websocket_closed(const net::WebSocket& from, boost::system::error_code reason) {
  if (&from == probe()) {
    abandon_upgrade();
    return;
  }
  if (&from == websocket_.get() && state_ != State::closed) {
    close_now(close_reason_of_websocket(reason), Initiator::client);
  }
}

}  // namespace engineio
