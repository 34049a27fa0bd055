// fetch_socket_ids and fetch_sockets across nodes: a SOCKETS request for ids (REMOTE_FETCH when
// `except` is set, which SOCKETS ignores), a REMOTE_FETCH for rooms and data, answered by every
// node subscribed to the request channel.

#include <boost/assert.hpp>
#include <boost/json/serialize.hpp>

#include "base/random.hpp"
#include "net/log.hpp"
#include "socketio/cluster_message.hpp"
#include "socketio/redis_node.hpp"

namespace socketio {

namespace json = boost::json;

namespace {

// One socket of an answer: an id (SOCKETS), or {id, rooms, data, handshake} (REMOTE_FETCH).
std::optional<SocketInfo> socket_info_of(const json::value& socket) {
  if (socket.is_string()) return SocketInfo{std::string(socket.get_string()), {}, nullptr};
  const auto* object = socket.if_object();
  const auto* id = object ? object->if_contains("id") : nullptr;
  if (!id || !id->is_string()) return std::nullopt;
  SocketInfo info{std::string(id->get_string()), {}, nullptr};
  if (const auto* rooms = object->if_contains("rooms"); rooms && rooms->is_array()) {
    for (const auto& room : rooms->get_array()) {
      if (room.is_string()) info.rooms.emplace_back(room.get_string());
    }
  }
  if (const auto* data = object->if_contains("data")) info.data = *data;
  return info;
}

}  // namespace

void RedisAdapter::Node::fetch(const BroadcastOptions& options, bool details, SocketsHandler done) {
  std::vector<SocketInfo> sockets;
  local.fetch_sockets(options, [&](std::vector<SocketInfo> found) { sockets = std::move(found); });
  if (options.flags.local) {
    done(std::move(sockets));
    return;
  }
  PendingFetch fetch;
  fetch.sockets = std::move(sockets);
  fetch.done = std::move(done);
  // Node counts the nodes the same way: the subscribers of the request channel.
  publisher->command({"PUBSUB", "NUMSUB", request_channel},
                     [self = shared_from_this(), options, details,
                      fetch = std::make_shared<PendingFetch>(std::move(fetch))](
                         boost::system::error_code ec, redis::Reply reply) {
                       std::int64_t nodes = 1;
                       if (!ec && reply.elements.size() == 2 &&
                           reply.elements[1].type == redis::Reply::Type::integer) {
                         nodes = reply.elements[1].integer;
                       }
                       if (nodes <= 1) {
                         // Alone, or Redis cannot say: this node's sockets are all that can be
                         // known.
                         fetch->done(std::move(fetch->sockets));
                         return;
                       }
                       self->ask_others(options, details, nodes, std::move(*fetch));
                     });
}

void RedisAdapter::Node::ask_others(const BroadcastOptions& wanted, bool details,
                                    std::int64_t nodes, PendingFetch&& fetch) {
  const auto request_id = base::random_token(9);
  json::object request{{"uid", uid}, {"requestId", request_id}};
  const auto selection = cluster::options_to_json(wanted);
  if (wanted.except.empty() && !details) {
    request["type"] = static_cast<int>(RequestType::sockets);
    request["rooms"] = selection.at("rooms");
  } else {
    request["type"] = static_cast<int>(RequestType::remote_fetch);
    request["opts"] = {{"rooms", selection.at("rooms")}, {"except", selection.at("except")}};
  }
  fetch.expected = nodes;
  fetch.timer = std::make_unique<boost::asio::steady_timer>(strand, options.requests_timeout);
  fetch.timer->async_wait([weak = weak_from_this(), request_id](boost::system::error_code ec) {
    if (ec) return;
    if (auto node = weak.lock()) node->finish_fetch(request_id, true);
  });
  fetches.emplace(request_id, std::move(fetch));
  publish(request_channel, json::serialize(request));
}

void RedisAdapter::Node::finish_fetch(const std::string& request_id, bool timed_out) {
  BOOST_ASSERT(strand.running_in_this_thread());
  auto it = fetches.find(request_id);
  if (it == fetches.end()) return;
  auto fetch = std::move(it->second);
  fetches.erase(it);
  if (timed_out) {
    net::log_event(net::LogLevel::warn, "redis_adapter_fetch_incomplete",
                   {{"nsp", nsp},
                    {"answered", std::to_string(fetch.answered)},
                    {"expected", std::to_string(fetch.expected)}});
  }
  fetch.done(std::move(fetch.sockets));
}

void RedisAdapter::Node::on_response(std::string_view payload) {
  const auto response = parse_cluster_message(payload);
  if (!response || !response->json.is_object()) return;
  const auto& object = response->json.get_object();
  const auto* request_id = object.if_contains("requestId");
  if (request_id == nullptr || !request_id->is_string()) return;
  auto it = fetches.find(std::string(request_id->get_string()));
  if (it == fetches.end()) return;  // another node's request, or one that timed out
  auto& fetch = it->second;
  ++fetch.answered;
  if (const auto* sockets = object.if_contains("sockets"); sockets && sockets->is_array()) {
    for (const auto& socket : sockets->get_array()) {
      if (auto info = socket_info_of(socket)) fetch.sockets.push_back(std::move(*info));
    }
  }
  if (fetch.answered >= fetch.expected) finish_fetch(std::string(it->first), false);
}

}  // namespace socketio
