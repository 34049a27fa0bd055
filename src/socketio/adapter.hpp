#pragma once
// Room membership and broadcast delivery for one namespace, in the shape a cluster needs:
// sockets are known by id (an id means the same on every node), broadcast options are a plain
// value that can travel to other nodes, and questions about membership across nodes are
// answered through a callback, which a cluster adapter calls once the other nodes replied.
//
// A cluster adapter (e.g. over Redis) wraps a LocalAdapter: it forwards a broadcast to the other
// nodes unless its flags say `local`, and hands what the other nodes send to the local
// adapter's broadcast with `local` set, so that it reaches only this node's sockets.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "socketio/packet.hpp"

namespace socketio {

class Socket;
using SocketPtr = std::shared_ptr<Socket>;
using SocketId = std::string;

struct BroadcastFlags {
  bool is_volatile = false;  // may be dropped for a client that is not ready
  bool local = false;        // this node's sockets only
};

struct BroadcastOptions {
  std::vector<std::string> rooms;   // empty: every socket of the namespace
  std::vector<std::string> except;  // sockets in any of these rooms are skipped
  BroadcastFlags flags;
};

// What fetch_sockets tells of a socket, on whichever node it is connected.
struct SocketInfo {
  SocketId id;
  std::vector<std::string> rooms;
  boost::json::value data;  // Socket::data()
};

class Adapter {
 public:
  using SocketIdsHandler = std::function<void(std::vector<SocketId>)>;
  using SocketsHandler = std::function<void(std::vector<SocketInfo>)>;

  virtual ~Adapter() = default;
  // All members may be called from any thread.

  // A socket of this node, now connected: it joins the namespace and the room named by its id.
  // False, and nothing changes, when this node has a socket with that id already (a resumed
  // session whose old connection is not gone yet).
  virtual bool add_socket(const SocketPtr& socket) = 0;
  // A socket that is gone: it leaves every room.
  virtual void remove_socket(const SocketId& id) = 0;
  // Membership of this node's sockets; an unknown id is ignored.
  virtual void join(const SocketId& id, const std::string& room) = 0;
  virtual void leave(const SocketId& id, const std::string& room) = 0;
  // The rooms of one of this node's sockets, known here.
  virtual std::vector<std::string> rooms_of(const SocketId& id) const = 0;

  // Sends `packet` to the selected sockets, encoding it once for all of them.
  virtual void broadcast(const Packet& packet, const BroadcastOptions& options) = 0;
  // The ids of the sockets that `options` selects (its flags say whether on this node only).
  // `done` runs once, possibly later and on another thread.
  virtual void fetch_socket_ids(const BroadcastOptions& options, SocketIdsHandler done) = 0;
  // The same with each socket's rooms and data (Node's fetchSockets()).
  virtual void fetch_sockets(const BroadcastOptions& options, SocketsHandler done) = 0;
};

}  // namespace socketio
