#pragma once
// A socketio::Server over the polling harness of engineio_harness.hpp: every client is an
// Engine.IO polling session whose Socket.IO packets the test posts and collects by hand.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engineio_harness.hpp"
#include "socketio/namespace.hpp"
#include "socketio/options.hpp"
#include "socketio/server.hpp"
#include "socketio/socket.hpp"

namespace harness {

// One client connected to one namespace: its Engine.IO session and the server's socket.
struct ConnectedClient {
  std::string sid;  // the Engine.IO session's
  socketio::SocketPtr socket;
};

// A test fixture. Handlers that may run when the sessions end (disconnect handlers) must keep
// what they record in the fixture, not in the test's locals: TearDown ends every session.
class SocketIoHarness : public ::testing::Test, public PollingHarness {
 public:
  SocketIoHarness() { use_options(slow_options()); }
  // Ends every session while the fixture still exists, so that the handlers that this runs
  // find what they write to, and no session is kept alive by its own handlers.
  void TearDown() override;

  socketio::Server& io() { return *io_; }

  // Replaces both servers; call before serving namespaces and opening sessions.
  void use_options(const engineio::ServerOptions& engine, socketio::ServerOptions options = {});

  // Creates the namespace `name`; its connection handler records each socket (see socket()),
  // then calls `handler`.
  socketio::Namespace& serve(const std::string& name,
                             socketio::Namespace::ConnectionHandler handler = {});
  // The socket with this id that a served namespace let in (null if none did).
  socketio::SocketPtr socket(const std::string& id) const;

  // Posts Socket.IO packets (each without its Engine.IO "4") in one payload.
  ExchangePtr post_packets(const std::string& sid, std::initializer_list<std::string> packets);
  // The packets the server has sent the session by now (possibly none), as Engine.IO packets.
  std::vector<std::string> received_now(const std::string& sid);
  // The packets the server sends the session next, waiting for them a bounded time.
  std::vector<std::string> receive(const std::string& sid);

  // Opens a session and connects it to `nsp`, which must let it in at once.
  ConnectedClient connect_client(const std::string& nsp = "/");
  // The socket id in a CONNECT answer (`40{"sid":...}` or `40/nsp,{"sid":...}`), or "".
  static std::string socket_id_of(std::string_view connect_packet);

 private:
  ExchangePtr& pending_poll(const std::string& sid);
  std::vector<std::string> take_answer(const std::string& sid);

  // Declared after the engine server (in PollingHarness), destroyed before it.
  std::unique_ptr<socketio::Server> io_;
  std::map<std::string, socketio::SocketPtr> sockets_;  // by socket id
  std::map<std::string, ExchangePtr> polls_;            // the GET waiting, by session id
};

}  // namespace harness
