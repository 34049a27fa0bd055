#include "socketio_harness.hpp"

#include <boost/json/parse.hpp>
#include <utility>

namespace harness {

void SocketIoHarness::TearDown() {
  server().close_all();
  poll();
  polls_.clear();
  sockets_.clear();
}

void SocketIoHarness::use_options(const engineio::ServerOptions& engine,
                                  socketio::ServerOptions options) {
  io_.reset();  // it refers to the engine server it replaces
  replace_server(engine);
  io_ = std::make_unique<socketio::Server>(server(), options);
}

socketio::Namespace& SocketIoHarness::serve(const std::string& name,
                                            socketio::Namespace::ConnectionHandler handler) {
  auto& nsp = io().of(name);
  nsp.on_connection([this, handler = std::move(handler)](socketio::Socket& socket) {
    sockets_[socket.id()] = socket.shared_from_this();
    if (handler) handler(socket);
  });
  return nsp;
}

socketio::SocketPtr SocketIoHarness::socket(const std::string& id) const {
  auto it = sockets_.find(id);
  return it == sockets_.end() ? nullptr : it->second;
}

ExchangePtr SocketIoHarness::post_packets(const std::string& sid,
                                          std::initializer_list<std::string> packets) {
  std::string body;
  for (const auto& packet : packets) {
    if (!body.empty()) body.push_back(kSep);
    body += "4" + packet;
  }
  return post(sid, std::move(body));
}

ExchangePtr& SocketIoHarness::pending_poll(const std::string& sid) {
  auto& request = polls_[sid];
  if (!request) request = get(sid);
  return request;
}

std::vector<std::string> SocketIoHarness::take_answer(const std::string& sid) {
  const auto answer = std::exchange(polls_[sid], nullptr);
  if (answer->status() != 200) return {"HTTP " + std::to_string(answer->status()) + answer->body()};
  std::vector<std::string> packets;
  const std::string body = answer->body();
  std::size_t start = 0;
  for (auto end = body.find(kSep); end != std::string::npos; end = body.find(kSep, start)) {
    packets.push_back(body.substr(start, end - start));
    start = end + 1;
  }
  packets.push_back(body.substr(start));
  return packets;
}

std::vector<std::string> SocketIoHarness::received_now(const std::string& sid) {
  // Everything the session has queued answers a GET while send() runs what is ready.
  if (!pending_poll(sid)->answered()) return {};
  return take_answer(sid);
}

std::vector<std::string> SocketIoHarness::receive(const std::string& sid) {
  const auto request = pending_poll(sid);
  if (!run_until([&] { return request->answered(); })) {
    ADD_FAILURE() << "nothing sent to session " << sid;
    return {};
  }
  return take_answer(sid);
}

ConnectedClient SocketIoHarness::connect_client(const std::string& nsp) {
  const auto sid = open_session();
  post_packets(sid, {nsp == "/" ? "0" : "0" + nsp + ","});
  const auto answer = receive(sid);
  if (answer.size() != 1 || socket_id_of(answer.front()).empty()) {
    ADD_FAILURE() << "CONNECT to " << nsp << " answered " << ::testing::PrintToString(answer);
    return {sid, nullptr};
  }
  return {sid, socket(socket_id_of(answer.front()))};
}

std::string SocketIoHarness::socket_id_of(std::string_view connect_packet) {
  if (!connect_packet.starts_with("40")) return "";
  auto json = connect_packet.substr(2);
  if (json.starts_with("/")) json.remove_prefix(std::min(json.find(',') + 1, json.size()));
  boost::system::error_code ec;
  const auto reply = boost::json::parse(json, ec);
  if (ec || !reply.is_object() || !reply.as_object().contains("sid")) return "";
  const auto& sid = reply.as_object().at("sid");
  return sid.is_string() ? std::string(sid.as_string()) : "";
}

}  // namespace harness
