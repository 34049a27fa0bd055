#pragma once
// The inside of a RedisAdapter, shared with the Redis clients' handlers (which hold it weakly,
// so that a message arriving while the adapter goes away finds nothing). Private to
// redis_adapter*.cpp.

#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>
#include <unordered_map>

#include "redis/client.hpp"
#include "socketio/msgpack_value.hpp"
#include "socketio/redis_adapter.hpp"

namespace socketio {

// The request types of @socket.io/redis-adapter.
enum class RequestType : int {
  sockets = 0,
  all_rooms = 1,
  remote_join = 2,
  remote_leave = 3,
  remote_disconnect = 4,
  remote_fetch = 5,
  server_side_emit = 6,
  broadcast = 7,
  broadcast_client_count = 8,
  broadcast_ack = 9,
};

struct RedisAdapter::Node : std::enable_shared_from_this<Node> {
  Node(net::IoContext& ioc, std::string nsp, RedisAdapterOptions options);
  void start(const redis::Endpoint& endpoint);
  void stop();

  // Any thread. PUBLISH, a failure counted.
  void publish(const std::string& channel, std::string message);
  void publish_response(std::string message) { publish(response_channel, std::move(message)); }

  // Strand only: what the subscriber receives.
  void on_message(const redis::Message& message);
  void on_broadcast(std::string_view channel, std::string_view payload);
  void on_request(std::string_view payload);  // redis_adapter_requests.cpp
  void on_response(std::string_view payload);

  // Our own SOCKETS / REMOTE_FETCH requests (redis_adapter_fetch.cpp).
  struct PendingFetch {
    std::int64_t expected = 0;  // nodes counted by PUBSUB NUMSUB, this one included
    std::int64_t answered = 1;  // this node's own answer is in `sockets` from the start
    std::vector<SocketInfo> sockets;
    SocketsHandler done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  // `details`: rooms and data too (REMOTE_FETCH), not only ids (SOCKETS).
  void fetch(const BroadcastOptions& options, bool details, SocketsHandler done);
  void ask_others(const BroadcastOptions& wanted, bool details, std::int64_t nodes,
                  PendingFetch&& fetch);
  void finish_fetch(const std::string& request_id, bool timed_out);

  net::Strand strand;
  const std::string nsp;
  const RedisAdapterOptions options;
  const std::string uid;
  const std::string channel;  // <key>#<nsp>#
  const std::string request_channel;
  const std::string response_channel;
  LocalAdapter local;
  std::shared_ptr<redis::Client> publisher;
  std::shared_ptr<redis::Client> subscriber;
  std::atomic<std::uint64_t> publish_failures{0};
  std::atomic<bool> stopped{false};
  ServerSideEmitHandler server_side_emit;
  std::unordered_map<std::string, PendingFetch> fetches;  // strand only, by request id
};

// A request or response: JSON when it starts with '{', MessagePack otherwise (as Node reads them).
std::optional<msgpack::Value> parse_cluster_message(std::string_view payload);

}  // namespace socketio
