// engineio::Session over HTTP long-polling: the handshake GET, the polls it holds, the POSTs
// that carry the client's packets, and the answers that carry ours (engineio/poll_queue.hpp).

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/assert.hpp>

#include "engineio/errors.hpp"
#include "engineio/payload.hpp"
#include "engineio/session.hpp"

namespace engineio {

namespace asio = boost::asio;

void Session::start_polling(net::HttpExchangePtr handshake,
                            const std::function<void(Session&)>& announce) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  if (state_ == State::closed) {
    // Ended (the server is going away) between its admission and this start, on another thread.
    handshake->respond(error_response(Error::bad_request, "Server shutting down", 503));
    return;
  }
  polling_->queue.push(open_packet(options_.transports.websocket));
  polling_->queue.hold(std::move(handshake));
  start_heartbeat(options_.ping_interval);
  if (announce) announce(*this);
  flush_poll();
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
  if (has_poll()) {
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
  exchange->on_client_gone([weak = weak_from_this(), poll = std::weak_ptr(exchange)] {
    // Posted: the call may come from inside on_client_gone, on this strand.
    if (auto self = weak.lock()) {
      asio::post(self->strand_, [self, poll] { self->poll_abandoned(poll); });
    }
  });
  polling_->queue.hold(std::move(exchange));
  if (state_ == State::closing) {
    close_now(closing_reason_, Initiator::server);  // delivers the waiting close packet
    return;
  }
  flush_poll();
}

void Session::poll_abandoned(const std::weak_ptr<net::HttpExchange>& poll) {
  BOOST_ASSERT(strand_.running_in_this_thread());
  const auto held = poll.lock();  // answered and gone: nothing to do (and no other poll's twin)
  if (!held || state_ == State::closed || !polling_ || !polling_->queue.holds(held.get())) return;
  close_now(CloseReason::transport_error, Initiator::client);
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

void Session::schedule_flush() {
  if (flush_scheduled_ || !has_poll() || state_ == State::upgrading) return;
  // Deferred so that packets sent in one burst leave in one response.
  flush_scheduled_ = true;
  asio::post(strand_, [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush_poll();
  });
}

void Session::flush_poll() {
  if (state_ != State::upgrading && polling_) polling_->queue.flush();
}

}  // namespace engineio
