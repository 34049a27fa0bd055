#pragma once
// The Socket.IO side of one Engine.IO session: decodes its packets and routes them to the
// sockets it has opened on namespaces. Lives on the session's strand.

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/session.hpp"
#include "socketio/decoder.hpp"
#include "socketio/namespace.hpp"

namespace socketio {

class Server;

class Client : public std::enable_shared_from_this<Client>, public engineio::SessionListener {
 public:
  Client(Server& server, std::shared_ptr<engineio::Session> session);

  // Listens to the session, and starts the connect timeout.
  void start();
  void on_session_message(engineio::Session& from, std::string&& data, bool binary) override;
  void on_session_closed(engineio::Session& from, engineio::CloseReason reason) override;
  // A socket that disconnected from its namespace.
  void forget(const Socket& socket);

 private:
  void on_packet(Packet&& packet);
  // What a CONNECT asks to resume (connection state recovery): its pid and offset.
  struct ResumeRequest {
    std::string pid;
    std::optional<std::string> offset;
    static std::optional<ResumeRequest> from(const boost::json::value& auth);
  };

  void connect(Packet&& packet);
  // After the middleware: the session the client resumes, or a new one.
  void resume(const SocketPtr& socket, ResumeRequest request);
  void rejoin(const SocketPtr& socket, const ResumeRequest& request,
              const std::optional<SavedSession>& session);
  void replay(const SocketPtr& socket, std::optional<std::vector<Packet>> missed);
  void give_up_resume(const Socket& socket);
  SocketPtr renewed(const SocketPtr& socket);
  void admit_afresh(const SocketPtr& socket);
  bool holds(const SocketPtr& socket) const;
  void refuse(const std::string& nsp, ConnectError error);
  void protocol_error(Error error);
  SocketPtr find(std::string_view nsp) const;

  Server& server_;
  std::shared_ptr<engineio::Session> session_;
  Decoder decoder_;
  std::vector<SocketPtr> sockets_;  // connected, or waiting for middleware
  std::unique_ptr<boost::asio::steady_timer> connect_timer_;
};

}  // namespace socketio
