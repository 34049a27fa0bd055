#include "app/operations.hpp"

#include <fmt/format.h>

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
    auto body = fmt::format(
        "# HELP reportd_engineio_sessions Open Engine.IO sessions.\n"
        "# TYPE reportd_engineio_sessions gauge\n"
        "reportd_engineio_sessions {}\n"
        "# HELP reportd_websockets Open WebSocket connections.\n"
        "# TYPE reportd_websockets gauge\n"
        "reportd_websockets {}\n"
        "# HELP reportd_live_sockets Internal users connected to /ws/internal.\n"
        "# TYPE reportd_live_sockets gauge\n"
        "reportd_live_sockets {}\n",
        gauges_.engineio_sessions(), gauges_.websockets(), gauges_.live_sockets());
    if (gauges_.redis_ready) {
      body += fmt::format(
          "# HELP reportd_redis_connected Whether the Socket.IO Redis adapter is connected.\n"
          "# TYPE reportd_redis_connected gauge\n"
          "reportd_redis_connected {}\n"
          "# HELP reportd_redis_publish_failures_total Broadcasts that could not be published "
          "to Redis.\n"
          "# TYPE reportd_redis_publish_failures_total counter\n"
          "reportd_redis_publish_failures_total {}\n",
          gauges_.redis_ready() ? 1 : 0, gauges_.redis_publish_failures());
    }
    auto response = net::HttpResponse::text(200, std::move(body));
    response.content_type = "text/plain; version=0.0.4";
    exchange->respond(std::move(response));
  }
}

}  // namespace app
