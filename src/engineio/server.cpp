#include "engineio/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>

#include "engineio/errors.hpp"
#include "engineio/query.hpp"
#include "engineio/sid.hpp"
#include "net/log.hpp"

namespace engineio {

namespace asio = boost::asio;

Server::Server(net::IoContext& ioc, ServerOptions options)
    : ioc_(ioc),
      options_(std::move(options)),
      heartbeats_(std::make_shared<HeartbeatScheduler>(ioc)) {}

void Server::close_all() {
  // Discarded, not closed: a polling client that is not polling right now would otherwise keep
  // its session (and the shutdown) waiting for a ping timeout. The reference server does the same.
  for (auto& session : registry_.snapshot()) session->discard(CloseReason::server_shutting_down);
}

std::size_t Server::max_body_bytes(const net::HttpRequest&) const {
  return options_.max_payload;
}

void Server::handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) {
  const auto query = parse_query(request.target);
  if (query.eio != "4") {
    exchange->respond(error_response(Error::unsupported_protocol_version));
    return;
  }
  const bool allowed = (query.transport == "polling" && options_.transports.polling) ||
                       (query.transport == "websocket" && options_.transports.websocket);
  if (!allowed) {
    exchange->respond(error_response(Error::unknown_transport));
    return;
  }
  const bool websocket = query.transport == "websocket";
  if (websocket != request.websocket_upgrade) {
    exchange->respond(error_response(Error::bad_request));
    return;
  }
  if (query.sid) {
    route_to_session(*query.sid, std::move(request), websocket, std::move(exchange));
  } else {
    open_session(std::move(request), websocket, std::move(exchange));
  }
}

void Server::open_session(net::HttpRequest&& request, bool websocket,
                          net::HttpExchangePtr exchange) {
  if (request.method != "GET") {
    exchange->respond(error_response(Error::bad_handshake_method));
    return;
  }
  if (filter_) {
    if (auto refusal = filter_(request)) {
      report_refusal(HandshakeRefusal::request_filter);
      exchange->respond(error_response(Error::forbidden, *refusal, 403));
      return;
    }
  }
  auto session = std::make_shared<Session>(
      generate_sid(), websocket ? Session::Transport::websocket : Session::Transport::polling,
      asio::make_strand(ioc_), std::move(request), options_, registry_, *observer_, *heartbeats_);
  if (!admit(session, *exchange)) return;
  if (!quota_) {
    start_session(session, websocket, std::move(exchange));
    return;
  }
  const auto& address = session->request().remote_address;
  quota_->acquire(
      address, options_.max_sessions_per_address,
      [this, session, websocket, exchange = std::move(exchange)](bool admitted) mutable {
        if (!admitted) {
          registry_.remove(session->id());
          refuse_address(*session, *exchange, "cluster");
        } else if (registry_.hold_quota(session->id(), *quota_)) {
          start_session(session, websocket, std::move(exchange));
        } else {
          // Discarded while the quota was asked (the server is shutting down).
          quota_->release(session->request().remote_address);
        }
      });
}

void Server::start_session(const std::shared_ptr<Session>& session, bool websocket,
                           net::HttpExchangePtr exchange) {
  net::log_event(net::LogLevel::debug, "engineio_session_opening",
                 {{"sid", session->id()},
                  {"transport", websocket ? "websocket" : "polling"},
                  {"remote", session->request().remote_address}});
  if (!websocket) {
    asio::dispatch(session->executor(), [this, session, exchange = std::move(exchange)]() mutable {
      session->start_polling(std::move(exchange), on_connection_);
    });
    return;
  }
  net::WebSocketLimits limits{options_.max_payload, options_.max_buffered_bytes,
                              options_.websocket_handshake_timeout};
  exchange->accept_websocket(session->executor(), limits, [this, session](net::WebSocketPtr ws) {
    if (!ws) {
      registry_.remove(session->id());
      return;
    }
    session->start_websocket(std::move(ws), on_connection_);
  });
}

// Takes a place for the new session, or answers the handshake with why there is none.
bool Server::admit(const std::shared_ptr<Session>& session, net::HttpExchange& exchange) {
  using Admission = SessionRegistry::Admission;
  const auto admission =
      registry_.admit(session, options_.max_sessions, options_.max_sessions_per_address);
  if (admission == Admission::admitted) return true;
  if (admission == Admission::address_full) {
    refuse_address(*session, exchange, "address");
    return false;
  }
  net::log_event(net::LogLevel::warn, "engineio_sessions_full",
                 {{"scope", "server"}, {"remote", session->request().remote_address}});
  report_refusal(HandshakeRefusal::session_cap);
  exchange.respond(error_response(Error::bad_request, "Too many sessions", 503));
  return false;
}

ENGINEIO_NO_VPTR_CHECK void Server::report_refusal(HandshakeRefusal refusal) {
  observer_->handshake_refused(refusal);
}

void Server::refuse_address(const Session& session, net::HttpExchange& exchange,
                            std::string_view scope) {
  net::log_event(net::LogLevel::warn, "engineio_sessions_full",
                 {{"scope", scope}, {"remote", session.request().remote_address}});
  report_refusal(HandshakeRefusal::address_cap);
  exchange.respond(error_response(Error::bad_request, "Too many sessions from this address", 429));
}

void Server::route_to_session(const std::string& sid, net::HttpRequest&& request, bool websocket,
                              net::HttpExchangePtr exchange) {
  auto session = registry_.find(sid);
  if (!session) {
    exchange->respond(error_response(Error::unknown_sid));
    return;
  }
  auto run = [&](auto action) { asio::dispatch(session->executor(), std::move(action)); };
  if (websocket) {
    run([session, exchange = std::move(exchange)]() mutable {
      session->handle_upgrade_request(std::move(exchange));
    });
  } else if (request.method == "GET") {
    run([session, exchange = std::move(exchange)]() mutable {
      session->handle_poll(std::move(exchange));
    });
  } else if (request.method == "POST") {
    run([session, body = std::move(request.body), exchange = std::move(exchange)]() mutable {
      session->handle_post(std::move(body), std::move(exchange));
    });
  } else {
    exchange->respond(error_response(Error::bad_request, "Unsupported method"));
  }
}

void Server::handle_oversized(net::HttpRequest&& head, net::HttpExchangePtr exchange) {
  auto query = parse_query(head.target);
  auto session = query.sid ? registry_.find(*query.sid) : nullptr;
  if (!session) {
    exchange->respond(error_response(Error::bad_request, "Payload too large", 413));
    return;
  }
  asio::dispatch(session->executor(), [session, exchange = std::move(exchange)]() mutable {
    session->handle_oversized_post(std::move(exchange));
  });
}

}  // namespace engineio
