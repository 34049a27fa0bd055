#pragma once
// A cluster adapter over Redis pub/sub, wire-compatible with the classic RedisAdapter of
// @socket.io/redis-adapter 8 (not the sharded one), so C++ and Node.js nodes can share a
// namespace. It wraps a LocalAdapter (see adapter.hpp):
//
// - a broadcast is delivered here and published once, as the MessagePack array
//   [uid, packet, {rooms, except, flags}], on `<key>#<nsp>#<room>#` when it names exactly one
//   room and on `<key>#<nsp>#` otherwise; a broadcast with flags.local is not published;
// - what other nodes publish there (PSUBSCRIBE `<key>#<nsp>#*`) is delivered to this node's
//   sockets, the node's own messages (same uid) skipped;
// - the requests of other nodes (`<key>-request#<nsp>#`) are answered as the Node adapter
//   answers them, on `<key>-response#<nsp>#`: SOCKETS, ALL_ROOMS, REMOTE_JOIN, REMOTE_LEAVE,
//   REMOTE_DISCONNECT, REMOTE_FETCH, SERVER_SIDE_EMIT, and BROADCAST with acks (the client count,
//   then each client's ack). Node counts the nodes with PUBSUB NUMSUB on the request channel and
//   waits for that many answers: this node subscribes there, and answers every request that
//   counts it, so a mixed cluster never waits for its timeout;
// - fetch_socket_ids across nodes asks the others with a SOCKETS request (REMOTE_FETCH when
//   `except` is set, which SOCKETS ignores) and waits for as many answers as PUBSUB NUMSUB
//   counts nodes, at most `requests_timeout`, then answers with what it has.
//
// Redis down: local delivery goes on, publishes fail and are counted (publish_failures()), the
// clients reconnect and subscribe again by themselves; ready() tells whether both connections
// are up. Each adapter has its own two connections (publish and subscribe), so that PUBSUB
// NUMSUB counts it once.

#include <atomic>
#include <boost/json/array.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/executor.hpp"
#include "redis/endpoint.hpp"
#include "socketio/local_adapter.hpp"

namespace socketio {

struct RedisAdapterOptions {
  std::string key = "socket.io";  // the channel prefix (the Node adapter's `key` option)
  // How long fetch_socket_ids waits for the other nodes.
  std::chrono::milliseconds requests_timeout{5000};
};

class RedisAdapter : public Adapter {
 public:
  // A server-side event from another node (io.serverSideEmit), on the adapter's strand.
  // `reply` is set when the sender waits for an answer (serverSideEmitWithAck): call it once,
  // from any thread. Without a handler, such a request is answered with null at once.
  using ServerSideEmitHandler =
      std::function<void(boost::json::array args, std::function<void(boost::json::value)> reply)>;

  // Connects at once, in the background; `nsp` is the namespace's name.
  RedisAdapter(net::IoContext& ioc, const redis::Endpoint& endpoint, std::string nsp,
               RedisAdapterOptions options = {});
  ~RedisAdapter() override;
  RedisAdapter(const RedisAdapter&) = delete;
  RedisAdapter& operator=(const RedisAdapter&) = delete;

  bool add_socket(const SocketPtr& socket) override;
  void remove_socket(const SocketId& id) override;
  void join(const SocketId& id, const std::string& room) override;
  void leave(const SocketId& id, const std::string& room) override;
  std::vector<std::string> rooms_of(const SocketId& id) const override;
  void broadcast(const Packet& packet, const BroadcastOptions& options) override;
  void fetch_socket_ids(const BroadcastOptions& options, SocketIdsHandler done) override;
  void fetch_sockets(const BroadcastOptions& options, SocketsHandler done) override;

  // Any thread. Both Redis connections are up (logged in and subscribed).
  bool ready() const;
  // Any thread. Every broadcast published so far has been taken by Redis (or has failed).
  bool settled() const;
  // Any thread. Broadcasts that could not be published since the start.
  std::uint64_t publish_failures() const;
  // This node's id on the channels.
  const std::string& uid() const;
  // Any thread; applies to the requests that arrive afterwards.
  void on_server_side_emit(ServerSideEmitHandler handler);
  // Any thread; closes both connections for good (also done by the destructor).
  void stop();

  struct Node;

 private:
  std::shared_ptr<Node> node_;
};

}  // namespace socketio
