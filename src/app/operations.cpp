#include "app/operations.hpp"

#include <boost/asio/post.hpp>

#include "net/log.hpp"

namespace app {

void OperationsHandler::handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) {
  const auto path = request.path();
  if (path == "/healthz") {
    exchange->respond(net::HttpResponse::json(200, R"({"status":"ok"})"));
  } else if (path == "/readyz") {
    boost::asio::post(workers_, [this, exchange] {
      try {
        store_.count_users();
      } catch (const std::exception& e) {
        net::log_event(net::LogLevel::warn, "not_ready", {{"error", e.what()}});
        exchange->respond(net::HttpResponse::json_error(503, "not_ready", "database unavailable"));
        return;
      }
      // Redis away is reported but leaves the node ready: every node is equally cut off then,
      // and a 503 would make the proxy drop them all, while each still serves its own clients.
      if (!gauges_.redis_ready) {
        exchange->respond(net::HttpResponse::json(200, R"({"status":"ready","database":"ok"})"));
      } else if (gauges_.redis_ready()) {
        exchange->respond(
            net::HttpResponse::json(200, R"({"status":"ready","database":"ok","redis":"ok"})"));
      } else {
        exchange->respond(net::HttpResponse::json(
            200, R"({"status":"ready","database":"ok","redis":"unavailable"})"));
      }
    });
  } else {
    auto response = net::HttpResponse::text(200, metrics_.render(gauges_));
    response.content_type = "text/plain; version=0.0.4";
    exchange->respond(std::move(response));
  }
}

}  // namespace app
