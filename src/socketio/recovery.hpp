#pragma once
// Connection state recovery (the protocol of socket.io 4.6+): a client that lost its connection
// comes back with the private id `pid` it got in its CONNECT reply and the offset of the last
// broadcast it received, and gets its socket id, its rooms and the broadcasts it missed, in
// order, before anything new.
//
// Where sessions and missed packets are kept is the application's choice: a SessionStore.
// MemorySessionStore (memory_session_store.hpp) keeps them in this process, as the Node server
// does; an application whose broadcasts are already in a database can replay them from there.
//
// The library calls the store from sockets' strands (many at once: implementations are
// thread-safe), and a store answers restore and missed through callbacks, on any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "socketio/adapter.hpp"
#include "socketio/disconnect_reason.hpp"
#include "socketio/packet.hpp"

namespace socketio {

class Socket;

// A session that a client may resume: the socket id it gets back and the rooms it rejoins.
struct SavedSession {
  std::string sid;
  std::vector<std::string> rooms;
};

// The disconnections after which a session is kept: the client did not choose to leave and
// nobody sent it away (the reasons the Node server keeps, minus a forced close, which only an
// application decides).
bool is_recoverable(DisconnectReason reason);

class SessionStore {
 public:
  using RestoreHandler = std::function<void(std::optional<SavedSession>)>;
  // The missed packets, oldest first, each with its offset as its last argument; nullopt when
  // they cannot be replayed after all (the client then gets a new session).
  using MissedHandler = std::function<void(std::optional<std::vector<Packet>>)>;

  virtual ~SessionStore() = default;

  // A broadcast event of the namespace: the offset a client sends back to resume after it, or
  // nullopt when this store cannot replay it (it is then sent without one). Not called for a
  // broadcast whose sender gave its own offset (Broadcast::offset).
  virtual std::optional<std::string> record(const Packet& packet,
                                            const BroadcastOptions& options) = 0;

  // A socket connected, new or resumed (`socket.recovered()`), with its private id.
  virtual void opened(const Socket& socket) = 0;
  // The socket joined or left a room.
  virtual void rooms_changed(const Socket& socket) = 0;
  // The socket is leaving, with the rooms it is in: a store keeps its session when
  // is_recoverable(reason), and forgets it otherwise.
  virtual void closed(const Socket& socket, std::vector<std::string> rooms,
                      DisconnectReason reason) = 0;

  // The session `pid` resumed by `socket` (already through the middleware) whose client last
  // received `offset` (nullopt: it received no broadcast yet). Answers nullopt when the session
  // is unknown, expired, or the offset unknown. A session is resumed at most once per loss.
  virtual void restore(const Socket& socket, const std::string& pid,
                       const std::optional<std::string>& offset, RestoreHandler done) = 0;
  // The broadcasts that the restored session missed after `offset`, for the rooms of `session`.
  // Called once the socket is back in those rooms, so that nothing falls between the two.
  virtual void missed(const Socket& socket, const SavedSession& session,
                      const std::optional<std::string>& offset, MissedHandler done) = 0;
};

// The offset a broadcast carries: its last argument when that is a string (what the client
// records), empty otherwise.
std::string_view offset_of(const Packet& packet);

}  // namespace socketio
