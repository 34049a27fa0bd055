#pragma once

#include "engineio/server.hpp"
#include "net/http_server.hpp"
#include "net/runtime.hpp"

namespace engineio {

// The graceful shutdown of a server with Engine.IO sessions: stop accepting, send every session
// a close packet, and wait until the sessions and their WebSockets are gone.
inline net::ShutdownPlan shutdown_plan(net::HttpServer& http, Server& engine) {
  return {[&http, &engine] {
            http.stop_accepting();
            engine.close_all();
          },
          // Until every session is destroyed, not only closed: a closed session's last clean-up
          // runs as a handler, which must not be left behind in the stopped io_context.
          [&engine] {
            return engine.session_count() == 0 && live_session_count() == 0 &&
                   net::live_websocket_count() == 0;
          }};
}

}  // namespace engineio
