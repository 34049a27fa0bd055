#pragma once
// Room membership and broadcast delivery for one namespace. The local adapter keeps rooms in
// memory; a cluster adapter (e.g. Redis) can wrap it to reach the other nodes, without the
// rest of the library noticing.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "socketio/packet.hpp"

namespace socketio {

class Socket;
using SocketPtr = std::shared_ptr<Socket>;

struct BroadcastOptions {
  std::vector<std::string> rooms;   // empty: every socket of the namespace
  std::vector<std::string> except;  // sockets in any of these rooms are skipped
  bool is_volatile = false;         // may be dropped for a client that is not ready
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // All members are safe to call from any thread.
  // A newly connected socket: it joins the namespace and the room named by its id.
  virtual void add_socket(const SocketPtr& socket) = 0;
  // A socket that is gone: it leaves every room.
  virtual void remove_socket(const Socket& socket) = 0;
  virtual void join(const SocketPtr& socket, const std::string& room) = 0;
  virtual void leave(const Socket& socket, const std::string& room) = 0;
  virtual std::vector<std::string> rooms_of(const Socket& socket) const = 0;
  virtual std::size_t room_size(const std::string& room) const = 0;
  // Sends `packet` to the selected sockets, encoding it once for all of them.
  virtual void broadcast(const Packet& packet, const BroadcastOptions& options) = 0;
};

}  // namespace socketio
