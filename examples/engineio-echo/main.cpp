// An Engine.IO server that sends every message back unchanged and in order: the server that
// the public Engine.IO protocol test suite expects (port 3000, path /engine.io/, pingInterval
// 300 ms, pingTimeout 200 ms, maxPayload 1000000).
//
// Environment: PORT, CORS_ORIGINS (comma-separated), HTTP_HEADER_TIMEOUT_MS,
// HTTP_IDLE_TIMEOUT_MS, IO_THREADS.

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "common/echo_listener.hpp"
#include "common/env.hpp"
#include "common/protocol_suite.hpp"
#include "engineio/server.hpp"
#include "engineio/shutdown.hpp"
#include "net/fd_limit.hpp"
#include "net/http_server.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"
#include "net/spdlog_sink.hpp"

int main() {
  net::log_to_spdlog();
  net::raise_open_file_limit();
  net::IoContext ioc;

  const auto options = examples::protocol_suite_options("/engine.io/");
  engineio::Server engine(ioc, options);
  // One listener serves every session: it keeps no state.
  const auto echo = std::make_shared<examples::EchoListener>();
  engine.on_connection([echo](engineio::Session& session) { session.listen(echo); });

  net::Router router;
  router.add(options.path, engine);

  net::HttpServerOptions http;
  const char* origins = std::getenv("CORS_ORIGINS");
  http.cors = net::CorsPolicy::from_list(origins ? origins : "");
  http.header_timeout =
      std::chrono::milliseconds(examples::env_number("HTTP_HEADER_TIMEOUT_MS", 10'000));
  http.idle_timeout =
      std::chrono::milliseconds(examples::env_number("HTTP_IDLE_TIMEOUT_MS", 30'000));
  net::HttpServer server(ioc, std::move(http), router);
  const auto port =
      server.listen("0.0.0.0", static_cast<unsigned short>(examples::env_number("PORT", 3000)));
  const auto threads =
      static_cast<unsigned>(examples::env_number("IO_THREADS", net::default_io_threads()));
  spdlog::info("event=listening port={} path={} io_threads={}", port, options.path, threads);

  net::run_until_signalled(ioc, threads, engineio::shutdown_plan(server, engine));
  return 0;
}
