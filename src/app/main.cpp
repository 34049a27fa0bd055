// reportd: the report service. Today it serves the Engine.IO endpoint that the live channel
// will ride on, and health checks; the Socket.IO namespace and the REST API build on this.
//
// Environment: PORT (default 3000), IO_THREADS (default: one per core), CORS_ORIGINS.

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

#include "engineio/server.hpp"
#include "net/fd_limit.hpp"
#include "net/http_server.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"

namespace {

long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < 0) {
    spdlog::error("event=bad_environment variable={} value=\"{}\"", name, value);
    std::exit(2);
  }
  return parsed;
}

class HealthHandler : public net::HttpHandler {
 public:
  void handle(net::HttpRequest&&, net::HttpExchangePtr exchange) override {
    exchange->respond(net::HttpResponse::json(200, R"({"status":"ok"})"));
  }
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return 0; }
};

}  // namespace

int main() {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  net::raise_open_file_limit();
  net::IoContext ioc;

  engineio::Server engine(ioc, engineio::ServerOptions{});
  HealthHandler health;
  net::Router router;
  router.add(engine.options().path, engine);
  router.add("/healthz", health);
  router.add("/readyz", health);

  net::HttpServerOptions http;
  const char* origins = std::getenv("CORS_ORIGINS");
  http.cors = net::CorsPolicy::from_list(origins ? origins : "");
  net::HttpServer server(ioc, std::move(http), router);
  const auto port = server.listen("0.0.0.0", static_cast<unsigned short>(env_number("PORT", 3000)));
  const auto threads = static_cast<unsigned>(env_number("IO_THREADS", net::default_io_threads()));
  spdlog::info("event=listening port={} io_threads={}", port, threads);

  net::run_until_signalled(
      ioc, threads,
      {[&] {
         server.stop_accepting();
         engine.close_all();
       },
       [&] { return engine.session_count() == 0 && net::live_websocket_count() == 0; }});
  return 0;
}
