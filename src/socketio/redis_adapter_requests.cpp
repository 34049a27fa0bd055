// The requests other nodes publish on the request channel, answered as @socket.io/redis-adapter
// answers them (its onrequest), in the same JSON and MessagePack shapes.

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "socketio/cluster_message.hpp"
#include "socketio/redis_node.hpp"
#include "socketio/socket.hpp"

namespace socketio {

namespace json = boost::json;

namespace {

// The longest ack timeout a BROADCAST may ask for.
constexpr std::chrono::milliseconds kMaxAckTimeout = std::chrono::minutes(10);
constexpr std::chrono::milliseconds kDefaultAckTimeout{5000};

// Headers that carry credentials do not travel to other nodes.
bool is_secret(std::string_view header) {
  return header == "authorization" || header == "cookie" || header == "proxy-authorization";
}

// socket.handshake as Node's REMOTE_FETCH sends it, with what this library keeps of the
// request: headers (credentials left out), address, url, query and xdomain. `auth` is empty:
// the CONNECT packet's auth is released once the middleware has run.
json::object handshake_of(const Socket& socket) {
  const auto& request = socket.request();
  json::object headers;
  for (const auto& [name, value] : request.headers) {
    if (is_secret(name)) continue;
    auto& slot = headers[name];
    // Node joins repeated headers with ", ".
    slot = slot.is_string() ? json::value(std::string(slot.get_string()) + ", " + value)
                            : json::value(value);
  }
  json::object query;
  if (auto target = boost::urls::parse_origin_form(request.target)) {
    for (const auto& param : target->params()) query[param.key] = param.value;
  }
  return {{"headers", std::move(headers)},
          {"address", request.remote_address},
          {"xdomain", request.header("origin").has_value()},
          {"secure", false},
          {"url", request.target},
          {"query", std::move(query)},
          {"auth", json::object{}}};
}

BroadcastOptions in_rooms(std::vector<std::string> rooms) {
  BroadcastOptions options;
  options.rooms = std::move(rooms);
  return options;
}

json::array strings(const std::vector<std::string>& items) {
  json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return array;
}

std::vector<std::string> room_list(const json::value* value) {
  const json::object wrapper{{"rooms", value ? *value : json::value()}};
  auto options = cluster::options_from_json(wrapper);
  return options ? std::move(options->rooms) : std::vector<std::string>{};
}

std::chrono::milliseconds ack_timeout(const json::object& request) {
  const auto* opts = request.if_contains("opts");
  const auto* flags = opts && opts->is_object() ? opts->get_object().if_contains("flags") : nullptr;
  const auto* timeout =
      flags && flags->is_object() ? flags->get_object().if_contains("timeout") : nullptr;
  if (timeout == nullptr || !timeout->is_number()) return kDefaultAckTimeout;
  boost::system::error_code ec;
  const auto ms = timeout->to_number<double>(ec);
  if (ec || !(ms >= 0)) return kDefaultAckTimeout;
  if (ms > static_cast<double>(kMaxAckTimeout.count())) return kMaxAckTimeout;
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

}  // namespace

void RedisAdapter::Node::on_request(std::string_view payload) {
  auto message = parse_cluster_message(payload);
  if (!message || !message->json.is_object()) return;
  const auto& request = message->json.get_object();
  const auto* type_value = request.if_contains("type");
  if (type_value == nullptr || !type_value->is_number()) return;
  boost::system::error_code ec;
  const auto type = static_cast<RequestType>(type_value->to_number<int>(ec));
  if (ec) return;
  const auto* sender = request.if_contains("uid");
  const bool own = sender && sender->is_string() && sender->get_string() == uid;
  const json::value request_id =
      request.contains("requestId") ? request.at("requestId") : json::value();
  const auto selection = [&]() -> BroadcastOptions {
    const auto* opts = request.if_contains("opts");
    auto options = opts ? cluster::options_from_json(*opts) : std::nullopt;
    return options ? std::move(*options) : BroadcastOptions{};
  };
  // The sid form of REMOTE_JOIN, REMOTE_LEAVE and REMOTE_DISCONNECT names one socket.
  const auto named_socket = [&]() -> SocketPtr {
    const auto* sid = request.if_contains("sid");
    if (sid == nullptr || !sid->is_string()) return nullptr;
    auto found = local.sockets(in_rooms({std::string(sid->get_string())}));
    return found.empty() ? nullptr : found.front();
  };
  const auto done = [&] {
    publish_response(json::serialize(json::object{{"requestId", request_id}}));
  };

  switch (type) {
    case RequestType::sockets: {
      if (own) return;
      json::array ids;
      for (const auto& socket : local.sockets(in_rooms(room_list(request.if_contains("rooms"))))) {
        ids.emplace_back(socket->id());
      }
      publish_response(
          json::serialize(json::object{{"requestId", request_id}, {"sockets", std::move(ids)}}));
      return;
    }
    case RequestType::all_rooms:
      if (own) return;
      publish_response(json::serialize(
          json::object{{"requestId", request_id}, {"rooms", strings(local.room_names())}}));
      return;
    case RequestType::remote_join:
    case RequestType::remote_leave: {
      const bool join = type == RequestType::remote_join;
      // Acted on even when this node sent it: Node's addSockets relies on that.
      if (request.contains("opts")) {
        const auto rooms = room_list(request.if_contains("rooms"));
        for (const auto& socket : local.sockets(selection())) {
          for (const auto& room : rooms) join ? socket->join(room) : socket->leave(room);
        }
        return;
      }
      const auto* room = request.if_contains("room");
      auto socket = named_socket();
      if (!socket || room == nullptr || !room->is_string()) return;
      const std::string name(room->get_string());
      join ? socket->join(name) : socket->leave(name);
      done();
      return;
    }
    case RequestType::remote_disconnect: {
      const auto* close = request.if_contains("close");
      const bool close_connection = close && close->is_bool() && close->get_bool();
      if (request.contains("opts")) {
        for (const auto& socket : local.sockets(selection())) socket->disconnect(close_connection);
        return;
      }
      auto socket = named_socket();
      if (!socket) return;
      socket->disconnect(close_connection);
      done();
      return;
    }
    case RequestType::remote_fetch: {
      if (own) return;
      json::array sockets;
      for (const auto& socket : local.sockets(selection())) {
        sockets.push_back(json::object{{"id", socket->id()},
                                       {"handshake", handshake_of(*socket)},
                                       {"rooms", strings(local.rooms_of(socket->id()))},
                                       {"data", socket->data()}});
      }
      publish_response(json::serialize(
          json::object{{"requestId", request_id}, {"sockets", std::move(sockets)}}));
      return;
    }
    case RequestType::server_side_emit: {
      if (own) return;
      const auto* data = request.if_contains("data");
      json::array args = data && data->is_array() ? data->get_array() : json::array{};
      std::function<void(json::value)> reply;
      if (!request_id.is_null()) {
        reply = [weak = weak_from_this(), request_id,
                 called = std::make_shared<std::atomic<bool>>(false)](json::value answer) {
          if (called->exchange(true)) return;
          if (auto node = weak.lock()) {
            node->publish_response(json::serialize(
                json::object{{"type", static_cast<int>(RequestType::server_side_emit)},
                             {"requestId", request_id},
                             {"data", std::move(answer)}}));
          }
        };
      }
      if (server_side_emit) {
        server_side_emit(std::move(args), std::move(reply));
      } else if (reply) {
        reply(nullptr);  // nobody listens here: the sender need not wait for its timeout
      }
      return;
    }
    case RequestType::broadcast: {
      if (own) return;
      const auto* packet_json = request.if_contains("packet");
      auto packet = packet_json
                        ? cluster::packet_from_json(*packet_json, std::move(message->attachments))
                        : std::nullopt;
      auto client_count = [&](std::size_t count) {
        publish_response(json::serialize(
            json::object{{"type", static_cast<int>(RequestType::broadcast_client_count)},
                         {"requestId", request_id},
                         {"clientCount", count}}));
      };
      if (!packet || packet->type != PacketType::event) {
        // Nothing this node can deliver: it says so at once, so the sender does not wait for it.
        client_count(0);
        return;
      }
      const auto targets = local.sockets(selection());
      client_count(targets.size());
      auto args = packet->data.get_array();
      const std::string event(args.front().get_string());
      args.erase(args.begin());
      const auto timeout = ack_timeout(request);
      for (const auto& socket : targets) {
        socket->emit_with_ack(
            event, args, timeout,
            [weak = weak_from_this(), request_id](AckResult ack) {
              auto node = weak.lock();
              if (!node || ack.timed_out) return;
              // Node hands on the client's first argument only.
              json::object response{{"type", static_cast<int>(RequestType::broadcast_ack)},
                                    {"requestId", request_id}};
              if (!ack.args.empty()) response["packet"] = std::move(ack.args.front());
              std::string bytes;
              msgpack::encode(response, ack.attachments, bytes);
              node->publish_response(std::move(bytes));
            },
            packet->attachments);
      }
      return;
    }
    case RequestType::broadcast_client_count:
    case RequestType::broadcast_ack:
      return;  // responses, not requests
  }
}

}  // namespace socketio
