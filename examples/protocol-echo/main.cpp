// The Socket.IO server that the public Socket.IO protocol test suite expects: port 3000, path
// /socket.io/, pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000, connect timeout
// 1000 ms, namespaces "/" and "/custom".
//
// On connect it emits "auth" with the CONNECT payload; it echoes "message" as "message-back",
// acks "message-with-ack" with the same arguments, and answers "emit-with-ack" with an
// "emit-with-ack" of its own that carries an ack, then one more with the ack's arguments.
//
// Environment: PORT, IO_THREADS.

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "common/env.hpp"
#include "common/protocol_suite.hpp"
#include "engineio/shutdown.hpp"
#include "net/fd_limit.hpp"
#include "net/http_server.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"
#include "net/spdlog_sink.hpp"
#include "socketio/server.hpp"

namespace {

// The auth payload is released once middleware has run; this echo wants it afterwards, so a
// middleware keeps a copy in the socket's extensions.
struct ConnectAuth {
  boost::json::value payload;
};

void keep_auth(socketio::Socket& socket, socketio::Namespace::Next next) {
  socket.extensions.insert(ConnectAuth{socket.auth()});
  next(std::nullopt);
}

void serve_echo(socketio::Socket& socket) {
  socket.emit("auth", {socket.extensions.get<ConnectAuth>()->payload});
  socket.on("message", [](socketio::Socket& s, socketio::Event& event) {
    s.emit("message-back", event.take_args(), event.take_attachments());
  });
  socket.on("message-with-ack", [](socketio::Socket&, socketio::Event& event) {
    event.ack(event.take_args(), event.take_attachments());
  });
  socket.on("emit-with-ack", [](socketio::Socket& s, socketio::Event& event) {
    s.emit_with_ack(
        "emit-with-ack", event.take_args(), std::chrono::seconds(5),
        [socket = s.shared_from_this()](socketio::AckResult result) {
          if (!result.timed_out) {
            socket->emit("emit-with-ack", std::move(result.args), std::move(result.attachments));
          }
        },
        event.take_attachments());
  });
}

}  // namespace

int main() {
  net::log_to_spdlog();
  net::raise_open_file_limit();
  net::IoContext ioc;

  const auto engine_options = examples::protocol_suite_options("/socket.io/");
  engineio::Server engine(ioc, engine_options);

  socketio::ServerOptions options;
  options.connect_timeout = std::chrono::milliseconds(1000);
  socketio::Server io(engine, options);
  for (const auto* name : {"/", "/custom"}) {
    auto& nsp = io.of(name);
    nsp.use(keep_auth);
    nsp.on_connection(serve_echo);
  }

  net::Router router;
  router.add(engine_options.path, engine);
  net::HttpServer server(ioc, net::HttpServerOptions{}, router);
  const auto port =
      server.listen("0.0.0.0", static_cast<unsigned short>(examples::env_number("PORT", 3000)));
  const auto threads =
      static_cast<unsigned>(examples::env_number("IO_THREADS", net::default_io_threads()));
  spdlog::info("event=listening port={} path={} io_threads={}", port, engine_options.path, threads);

  net::run_until_signalled(ioc, threads, engineio::shutdown_plan(server, engine));
  return 0;
}
