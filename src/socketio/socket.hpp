#pragma once
// One client connected to one namespace. Handlers run on the client's strand (the Engine.IO
// session's); emit, join, leave and disconnect may be called from any thread.

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/assert.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engineio/session.hpp"
#include "socketio/disconnect_reason.hpp"
#include "socketio/event.hpp"
#include "socketio/extensions.hpp"

namespace socketio {

class Namespace;
class Client;

class Socket : public std::enable_shared_from_this<Socket> {
 public:
  using EventHandler = std::function<void(Socket&, Event&)>;
  using DisconnectHandler = std::function<void(Socket&, DisconnectReason reason)>;
  using AckCallback = std::function<void(AckResult)>;

  Socket(Namespace& nsp, std::shared_ptr<engineio::Session> session, std::weak_ptr<Client> client,
         boost::json::value auth);

  const std::string& id() const { return id_; }
  // With connection state recovery on: the private id the client resumes this session with
  // (empty when off), and whether this socket resumed a lost one (same id, rooms and the
  // broadcasts it missed).
  const std::string& pid() const { return pid_; }
  bool recovered() const { return recovered_; }
  Namespace& nsp() const { return nsp_; }
  // The HTTP request that opened the connection (only the headers the Engine.IO server keeps),
  // and the CONNECT packet's auth payload: for middleware only, it is null once they have run.
  const net::RequestHead& request() const { return session_->request(); }
  const boost::json::value& auth() const { return auth_; }
  bool connected() const { return connected_; }
  // The strand that handlers run on (the Engine.IO session's).
  net::Strand executor() const { return session_->executor(); }
  // Left here by middleware (e.g. the authenticated user) before it lets the socket in, for the
  // handlers, which run after it.
  Extensions extensions;
  // What other nodes may know of this socket (Node's socket.data): it travels in fetch_sockets
  // answers. Set by middleware only; read-only once the socket is connected, so that any thread
  // may read it.
  const boost::json::value& data() const { return data_; }
  void set_data(boost::json::value data) {
    BOOST_ASSERT(!connected_);
    data_ = std::move(data);
  }

  // Strand only (typically in the namespace's connection handler). Handlers that every socket
  // of a namespace shares are cheaper registered once there (Namespace::on).
  void on(std::string event, EventHandler handler);
  void on_disconnect(DisconnectHandler handler);

  // Any thread. What became of the packet, as engineio::Session::send tells it.
  net::SendStatus emit(std::string_view event, boost::json::array args = {},
                       std::vector<std::string> attachments = {});
  net::SendStatus emit_volatile(std::string_view event, boost::json::array args = {});
  void emit_with_ack(std::string_view event, boost::json::array args,
                     std::chrono::milliseconds timeout, AckCallback callback,
                     std::vector<std::string> attachments = {});
  // `joined`, if given, runs on the strand once the socket is in the room (or, disconnected,
  // never will be).
  void join(const std::string& room, std::function<void()> joined = {});
  void leave(const std::string& room);
  std::vector<std::string> rooms() const;
  // Disconnects from this namespace; the Engine.IO connection stays for the others unless
  // `close_connection` (socket.disconnect(true) in socket.io), which ends it too.
  void disconnect(bool close_connection = false);

  // Used by the adapter: sends already-encoded packets; `offset` is the broadcast's (see
  // recovery.hpp), so that a socket replaying what it missed sends each broadcast once.
  net::SendStatus deliver(const std::vector<engineio::SharedPacket>& packets, bool is_volatile,
                          std::string_view offset = {});

 private:
  friend class Client;
  friend class Event;
  friend class Namespace;
  struct PendingAck {
    std::uint64_t id;
    AckCallback callback;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  struct HeldBroadcast {
    std::vector<engineio::SharedPacket> packets;
    std::string offset;
  };
  // What only some sockets ever need: handlers of their own, acks they wait for, and a replay's
  // held broadcasts. Made on first use, so that an idle socket carries one pointer for all of it
  // (112 bytes less per connection). Strand only.
  struct Extras {
    std::vector<std::pair<std::string, EventHandler>> handlers;
    std::vector<DisconnectHandler> disconnect_handlers;
    std::vector<PendingAck> pending_acks;
    std::uint64_t next_ack_id = 0;
    std::vector<HeldBroadcast> held;
    std::unique_ptr<boost::asio::steady_timer> replay_memory;
  };
  Extras& extras();

  // Before the socket connects: the session it is (a resumed one, or a new private id).
  void resume(const std::string& sid, std::string pid);
  void assign_pid(std::string pid) { pid_ = std::move(pid); }
  // Broadcasts to this socket are held back while it replays what it missed, then sent but for
  // those the replay carried.
  void hold_broadcasts() { replaying_ = true; }
  void release_broadcasts(const std::vector<std::string>& replayed_offsets);
  // Connected: in the namespace (Namespace::admit), not yet told (send_connect_reply).
  void mark_connected() { connected_ = true; }
  void send_connect_reply();
  // A resumed session that cannot be resumed after all: a new one, with a new id.
  void start_afresh();
  void rooms_changed();
  void release_auth() { auth_ = nullptr; }
  void dispatch_event(Packet&& packet);
  void dispatch_ack(Packet&& packet);
  // The handler this socket registered for `event` itself, if any.
  const EventHandler* own_handler_for(std::string_view event) const;
  // The callback waiting for ack `id`, taken out of the pending ones; empty if none waits.
  AckCallback take_pending_ack(std::uint64_t id);
  net::SendStatus send_packet(Packet&& packet);
  // Tells the server's observer that `count` packets were not sent, and returns `why`.
  net::SendStatus dropped(net::SendStatus why, std::size_t count) const;
  // Strand only: the end of this socket, whoever caused it.
  void close(DisconnectReason reason);

  using Offsets = std::unordered_set<std::string>;
  void hold(std::vector<engineio::SharedPacket> packets, std::string offset);
  // Whether the replay carried this broadcast: its live copy may come after the replay ended
  // (from another node, or from a commit that the replay's read saw before it was announced).
  bool was_replayed(std::string_view offset) const;
  void remember_replayed(Offsets offsets);

  std::string id_;  // set once, before the socket connects
  std::string pid_;
  boost::json::value data_ = boost::json::object();  // {} as in Node
  bool recovered_ = false;
  // Met by the namespace's connection handler, so its disconnect handlers are owed (strand only).
  bool welcomed_ = false;
  std::atomic<bool> replaying_{false};
  std::atomic<bool> remembers_replay_{false};  // spares every delivery a load of replayed_
  std::atomic<bool> connected_{false};
  // The offsets of the last replay, for kReplayMemory after it; read from any thread.
  std::atomic<std::shared_ptr<const Offsets>> replayed_;
  Namespace& nsp_;
  std::shared_ptr<engineio::Session> session_;
  std::weak_ptr<Client> client_;
  boost::json::value auth_;
  std::unique_ptr<Extras> extras_;
};

}  // namespace socketio
