#pragma once
// The Engine.IO v4 server: answers requests under its path, opens and finds sessions, and
// announces new sessions to the layer above. It knows nothing of what the messages mean.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engineio/address_quota.hpp"
#include "engineio/observer.hpp"
#include "engineio/options.hpp"
#include "engineio/session.hpp"
#include "engineio/session_registry.hpp"
#include "net/http_handler.hpp"

namespace engineio {

class Server : public net::HttpHandler {
 public:
  // Decides whether a new session may open, given the request that asks for it. Returns the
  // reason for a refusal (the client gets 403 with that message), or nullopt to accept.
  using RequestFilter = std::function<std::optional<std::string>(const net::HttpRequest&)>;
  // Called on the new session's strand before the client hears from it: install handlers here.
  using ConnectionHandler = std::function<void(Session&)>;

  Server(net::IoContext& ioc, ServerOptions options);

  const ServerOptions& options() const { return options_; }
  void set_request_filter(RequestFilter filter) { filter_ = std::move(filter); }
  void on_connection(ConnectionHandler handler) { on_connection_ = std::move(handler); }
  // Sessions per address counted with other servers too (see address_quota.hpp). Install before
  // serving; the quota must outlive every handshake in progress.
  void set_address_quota(AddressQuota* quota) { quota_ = quota; }
  // Who hears of refused handshakes, dropped packets and closed sessions (see observer.hpp).
  // Install before serving; it must outlive every session.
  void set_observer(Observer& observer) { observer_ = &observer; }

  // Graceful shutdown: ends every session now; those with a client listening get a close packet.
  void close_all();
  std::size_t session_count() const { return registry_.size(); }

  void handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) override;
  std::size_t max_body_bytes(const net::HttpRequest& head) const override;
  void handle_oversized(net::HttpRequest&& head, net::HttpExchangePtr exchange) override;

 private:
  void open_session(net::HttpRequest&& request, bool websocket, net::HttpExchangePtr exchange);
  bool admit(const std::shared_ptr<Session>& session, net::HttpExchange& exchange);
  void refuse_address(const Session& session, net::HttpExchange& exchange, std::string_view scope);
  void report_refusal(HandshakeRefusal refusal);
  void start_session(const std::shared_ptr<Session>& session, bool websocket,
                     net::HttpExchangePtr exchange);
  void route_to_session(const std::string& sid, net::HttpRequest&& request, bool websocket,
                        net::HttpExchangePtr exchange);

  net::IoContext& ioc_;
  const ServerOptions options_;
  // Shared with its pending timer wait, which may outlive the server during a shutdown.
  std::shared_ptr<HeartbeatScheduler> heartbeats_;
  SessionRegistry registry_;
  RequestFilter filter_;
  ConnectionHandler on_connection_;
  AddressQuota* quota_ = nullptr;
  Observer* observer_ = &Observer::none();
};

}  // namespace engineio
