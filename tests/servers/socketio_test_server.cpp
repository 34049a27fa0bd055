// A Socket.IO server for the end-to-end tests of src/socketio: namespaces whose behaviour the
// tests drive through events.
//
//   /auth   middleware: token (auth.token or "Authorization: Bearer") "good" or "slow-good"
//           (accepted from another thread after 50 ms) is let in; "forbidden" is refused with
//           message "forbidden" and data {code:403}; anything else with "unauthorized", {code:401}.
//           On connect it emits "welcome" {token}.
//   /rooms  "join"/"leave" (room) ack {ok:true}; "rooms" acks the socket's rooms;
//           "broadcast" ({rooms, except, event, args}) broadcasts and acks; "flood"
//           ({room, count, size}) sends count messages of size bytes to a room; "ask" emits
//           "question" with an ack and a 500 ms timeout, then "answer" {timedOut, args};
//           "disconnect-me" disconnects the socket; "binary" acks with a 3-byte buffer;
//           "redis" acks {ready, publishFailures} of the Redis adapter (null without one).
//
// Environment: PORT, MAX_BUFFERED_BYTES (per-session send bound), CONNECT_TIMEOUT_MS, REDIS_URL
// (when set, /rooms has a Redis adapter with the default prefix "socket.io", and answers
// server-side events from other nodes with "cpp:" and their first argument).

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <thread>

#include "common/env.hpp"
#include "engineio/shutdown.hpp"
#include "net/http_server.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"
#include "net/spdlog_sink.hpp"
#include "redis/endpoint.hpp"
#include "socketio/redis_adapter.hpp"
#include "socketio/server.hpp"

namespace json = boost::json;

namespace {

std::string token_of(const socketio::Socket& socket) {
  if (const auto* object = socket.auth().if_object()) {
    if (const auto* token = object->if_contains("token"); token && token->is_string()) {
      return std::string(token->get_string());
    }
  }
  return std::string(socket.request().bearer_token());
}

// What the middleware found, for the handlers.
struct Token {
  std::string value;
};

void authenticate(socketio::Socket& socket, socketio::Namespace::Next next) {
  auto token = token_of(socket);
  if (token == "good") {
    socket.extensions.insert(Token{token});
    next(std::nullopt);
  } else if (token == "slow-good") {
    socket.extensions.insert(Token{token});
    std::thread([next = std::move(next)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      next(std::nullopt);
    }).detach();
  } else if (token == "forbidden") {
    next(socketio::ConnectError{"forbidden", {{"code", 403}}});
  } else {
    next(socketio::ConnectError{"unauthorized", {{"code", 401}}});
  }
}

std::vector<std::string> strings_of(const json::value* value) {
  std::vector<std::string> out;
  if (value && value->is_array()) {
    for (const auto& item : value->get_array()) {
      if (item.is_string()) out.emplace_back(item.get_string());
    }
  }
  return out;
}

void serve_rooms(socketio::Namespace& nsp, socketio::Socket& socket,
                 const socketio::RedisAdapter* redis) {
  socket.on("join", [](socketio::Socket& s, socketio::Event& e) {
    if (auto room = e.arg_as<std::string>(0)) s.join(*room);
    e.ack({json::object{{"ok", true}}});
  });
  socket.on("leave", [](socketio::Socket& s, socketio::Event& e) {
    if (auto room = e.arg_as<std::string>(0)) s.leave(*room);
    e.ack({json::object{{"ok", true}}});
  });
  socket.on("rooms", [](socketio::Socket& s, socketio::Event& e) {
    json::array rooms;
    for (auto& room : s.rooms()) rooms.emplace_back(room);
    e.ack({rooms});
  });
  socket.on("broadcast", [&nsp](socketio::Socket&, socketio::Event& e) {
    const auto* spec = e.arg(0).if_object();
    if (!spec) return e.ack({json::object{{"ok", false}}});
    socketio::Broadcast broadcast(nsp.adapter(), nsp.name());
    for (auto& room : strings_of(spec->if_contains("rooms"))) broadcast.to(room);
    for (auto& room : strings_of(spec->if_contains("except"))) broadcast.except(room);
    const auto* event = spec->if_contains("event");
    const auto* args = spec->if_contains("args");
    broadcast.emit(event && event->is_string() ? std::string_view(event->get_string()) : "news",
                   args && args->is_array() ? args->get_array() : json::array{});
    e.ack({json::object{{"ok", true}}});
  });
  socket.on("flood", [&nsp](socketio::Socket&, socketio::Event& e) {
    const auto* spec = e.arg(0).if_object();
    if (!spec) return;
    const std::string room(spec->at("room").as_string());
    const auto count = spec->at("count").to_number<std::int64_t>();
    const std::string filler(static_cast<std::size_t>(spec->at("size").to_number<std::int64_t>()),
                             'x');
    for (std::int64_t i = 0; i < count; ++i) nsp.to(room).emit("flood", {i, filler});
    e.ack({json::object{{"ok", true}}});
  });
  socket.on("ask", [](socketio::Socket& s, socketio::Event&) {
    s.emit_with_ack("question", {"what?"}, std::chrono::milliseconds(500),
                    [socket = s.shared_from_this()](socketio::AckResult result) {
                      socket->emit("answer", {json::object{{"timedOut", result.timed_out},
                                                           {"args", std::move(result.args)}}});
                    });
  });
  socket.on("disconnect-me", [](socketio::Socket& s, socketio::Event&) { s.disconnect(); });
  socket.on("redis", [redis](socketio::Socket&, socketio::Event& e) {
    if (!redis) return e.ack({nullptr});
    e.ack(
        {json::object{{"ready", redis->ready()}, {"publishFailures", redis->publish_failures()}}});
  });
  socket.on("binary", [](socketio::Socket&, socketio::Event& e) {
    e.ack({socketio::binary_placeholder(0)}, {std::string("\x01\x02\x03", 3)});
  });
}

}  // namespace

int main() {
  net::log_to_spdlog();
  net::IoContext ioc;

  engineio::ServerOptions engine_options;
  engine_options.ping_interval =
      std::chrono::milliseconds(examples::env_number("PING_INTERVAL_MS", 25'000));
  engine_options.ping_timeout =
      std::chrono::milliseconds(examples::env_number("PING_TIMEOUT_MS", 20'000));
  engine_options.max_buffered_bytes =
      static_cast<std::size_t>(examples::env_number("MAX_BUFFERED_BYTES", 4 * 1024 * 1024));
  engineio::Server engine(ioc, engine_options);

  socketio::ServerOptions options;
  options.connect_timeout =
      std::chrono::milliseconds(examples::env_number("CONNECT_TIMEOUT_MS", 45'000));
  socketio::Server io(engine, options);
  auto& auth = io.of("/auth");
  auth.use(authenticate);
  auth.on_connection([](socketio::Socket& socket) {
    socket.emit("welcome", {json::object{{"token", socket.extensions.get<Token>()->value}}});
  });
  auto& rooms = io.of("/rooms");
  socketio::RedisAdapter* redis = nullptr;
  if (const char* url = std::getenv("REDIS_URL"); url && *url) {
    auto adapter =
        std::make_unique<socketio::RedisAdapter>(ioc, redis::parse_url(url), rooms.name());
    adapter->on_server_side_emit([](json::array args, std::function<void(json::value)> reply) {
      if (!reply) return;
      reply(args.empty() || !args.front().is_string()
                ? json::value("cpp:")
                : json::value("cpp:" + std::string(args.front().get_string())));
    });
    redis = adapter.get();
    rooms.set_adapter(std::move(adapter));
  }
  rooms.on_connection(
      [&rooms, redis](socketio::Socket& socket) { serve_rooms(rooms, socket, redis); });

  net::Router router;
  router.add(engine_options.path, engine);
  net::HttpServer server(ioc, net::HttpServerOptions{}, router);
  const auto port =
      server.listen("127.0.0.1", static_cast<unsigned short>(examples::env_number("PORT", 3000)));
  spdlog::info("event=listening port={}", port);
  net::run_until_signalled(ioc, 2, engineio::shutdown_plan(server, engine));
  return 0;
}
