#include "socketio/redis_adapter.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/assert.hpp>
#include <boost/json/parse.hpp>

#include "base/random.hpp"
#include "net/log.hpp"
#include "socketio/cluster_message.hpp"
#include "socketio/redis_node.hpp"

namespace socketio {

namespace {

// A Redis glob pattern that matches `prefix` literally, then anything.
std::string glob_prefix(std::string_view prefix) {
  std::string pattern;
  for (const char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('*');
  return pattern;
}

}  // namespace

std::optional<msgpack::Value> parse_cluster_message(std::string_view payload) {
  if (!payload.starts_with('{')) return msgpack::decode(payload);
  boost::system::error_code ec;
  auto json = boost::json::parse(payload, ec);
  if (ec) return std::nullopt;
  return msgpack::Value{std::move(json), {}};
}

RedisAdapter::Node::Node(net::IoContext& ioc, std::string nsp_name, RedisAdapterOptions opts)
    : strand(boost::asio::make_strand(ioc)),
      nsp(std::move(nsp_name)),
      options(std::move(opts)),
      uid(base::random_token(9)),
      channel(options.key + "#" + nsp + "#"),
      request_channel(options.key + "-request#" + nsp + "#"),
      response_channel(options.key + "-response#" + nsp + "#") {}

void RedisAdapter::Node::start(const redis::Endpoint& endpoint) {
  const std::weak_ptr<Node> weak = shared_from_this();
  redis::ClientOptions pub;
  pub.endpoint = endpoint;
  pub.name = "publish " + nsp;
  publisher = redis::Client::create(strand, std::move(pub));
  redis::ClientOptions sub;
  sub.endpoint = endpoint;
  sub.name = "subscribe " + nsp;
  // The specific response channel is where Node nodes with publishOnSpecificResponseChannel
  // answer.
  sub.channels = {request_channel, response_channel, response_channel + uid + "#"};
  sub.patterns = {glob_prefix(channel)};
  subscriber = redis::Client::create(strand, std::move(sub), [weak](const redis::Message& m) {
    if (auto node = weak.lock()) node->on_message(m);
  });
  publisher->start();
  subscriber->start();
}

void RedisAdapter::Node::stop() {
  if (stopped.exchange(true)) return;
  if (publisher) publisher->stop();
  if (subscriber) subscriber->stop();
  // Waiting fetches answer with what they have.
  boost::asio::dispatch(strand, [self = shared_from_this()] {
    std::vector<std::string> waiting;
    for (const auto& [id, fetch] : self->fetches) waiting.push_back(id);
    for (const auto& id : waiting) self->finish_fetch(id, true);
  });
}

void RedisAdapter::Node::publish(const std::string& to, std::string message) {
  publisher->command({"PUBLISH", to, std::move(message)},
                     [weak = weak_from_this()](boost::system::error_code ec, redis::Reply) {
                       if (!ec) return;
                       if (auto node = weak.lock()) ++node->publish_failures;
                     });
}

void RedisAdapter::Node::on_message(const redis::Message& message) {
  BOOST_ASSERT(strand.running_in_this_thread());
  if (!message.pattern.empty()) {
    on_broadcast(message.channel, message.payload);
  } else if (message.channel == request_channel) {
    on_request(message.payload);
  } else if (message.channel.starts_with(response_channel)) {
    on_response(message.payload);
  }
}

void RedisAdapter::Node::on_broadcast(std::string_view from, std::string_view payload) {
  // <key>#<nsp>#, or <key>#<nsp>#<room>#.
  if (!from.starts_with(channel)) return;
  from.remove_prefix(channel.size());
  if (!from.empty()) {
    if (!from.ends_with('#')) return;
    from.remove_suffix(1);
  }
  // A message for one room that has no member here needs no decoding.
  if (!from.empty() && local.members(std::string(from))->empty()) return;
  auto message = cluster::decode_broadcast(payload);
  if (!message) {
    net::log_event(net::LogLevel::debug, "redis_adapter_bad_message", {{"nsp", nsp}});
    return;
  }
  if (message->uid == uid || message->packet.nsp != nsp) return;
  message->options.flags.local = true;
  local.broadcast(message->packet, message->options);
}

RedisAdapter::RedisAdapter(net::IoContext& ioc, const redis::Endpoint& endpoint, std::string nsp,
                           RedisAdapterOptions options)
    : node_(std::make_shared<Node>(ioc, std::move(nsp), std::move(options))) {
  node_->start(endpoint);
}

RedisAdapter::~RedisAdapter() {
  stop();
}

void RedisAdapter::stop() {
  node_->stop();
}

bool RedisAdapter::add_socket(const SocketPtr& socket) {
  return node_->local.add_socket(socket);
}
void RedisAdapter::remove_socket(const SocketId& id) {
  node_->local.remove_socket(id);
}
void RedisAdapter::join(const SocketId& id, const std::string& room) {
  node_->local.join(id, room);
}
void RedisAdapter::leave(const SocketId& id, const std::string& room) {
  node_->local.leave(id, room);
}
std::vector<std::string> RedisAdapter::rooms_of(const SocketId& id) const {
  return node_->local.rooms_of(id);
}

void RedisAdapter::broadcast(const Packet& packet, const BroadcastOptions& options) {
  if (!options.flags.local) {
    auto to = node_->channel;
    if (options.rooms.size() == 1) to += options.rooms.front() + "#";
    node_->publish(to, cluster::encode_broadcast(node_->uid, packet, options));
  }
  node_->local.broadcast(packet, options);
}

void RedisAdapter::fetch_socket_ids(const BroadcastOptions& options, SocketIdsHandler done) {
  node_->fetch(options, false, [done = std::move(done)](std::vector<SocketInfo> sockets) {
    std::vector<SocketId> ids;
    ids.reserve(sockets.size());
    for (auto& socket : sockets) ids.push_back(std::move(socket.id));
    done(std::move(ids));
  });
}

void RedisAdapter::fetch_sockets(const BroadcastOptions& options, SocketsHandler done) {
  node_->fetch(options, true, std::move(done));
}

bool RedisAdapter::ready() const {
  return node_->publisher->connected() && node_->subscriber->connected();
}

bool RedisAdapter::settled() const {
  return node_->publisher->settled();
}

std::uint64_t RedisAdapter::publish_failures() const {
  return node_->publish_failures.load();
}

const std::string& RedisAdapter::uid() const {
  return node_->uid;
}

void RedisAdapter::on_server_side_emit(ServerSideEmitHandler handler) {
  // The subscriber runs already: the handler is read on the strand, so it is set there.
  boost::asio::dispatch(node_->strand, [node = node_, handler = std::move(handler)]() mutable {
    node->server_side_emit = std::move(handler);
  });
}

}  // namespace socketio
