#pragma once
// In-memory rooms. Rooms are spread over independently locked shards so that joins, leaves and
// broadcasts on different rooms do not contend; a broadcast holds a lock only long enough to
// take a snapshot of the member list, and delivers outside it.
//
// Every socket is in the room named by its id from add_socket on (Socket.IO semantics), and
// almost always that room has it alone. So that this costs no memory per connection, that room
// is implicit: a flag in the socket's Membership, not a Room nor an entry of its room list.
// Everything that reads rooms (members, broadcast, rooms_of, room_names) adds it back, so the
// behaviour is that of Node's in-memory adapter, leave(id, id) and a room named after another
// socket's id included.

#include <array>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "socketio/adapter.hpp"

namespace socketio {

class LocalAdapter : public Adapter {
 public:
  bool add_socket(const SocketPtr& socket) override;
  void remove_socket(const SocketId& id) override;
  void join(const SocketId& id, const std::string& room) override;
  void leave(const SocketId& id, const std::string& room) override;
  std::vector<std::string> rooms_of(const SocketId& id) const override;
  void broadcast(const Packet& packet, const BroadcastOptions& options) override;
  // Answered at once: this adapter knows only this node.
  void fetch_socket_ids(const BroadcastOptions& options, SocketIdsHandler done) override;
  void fetch_sockets(const BroadcastOptions& options, SocketsHandler done) override;

  // The sockets that `options` selects (its flags aside), for a cluster adapter that acts on
  // them for another node; and the names of the rooms that have members here.
  std::vector<SocketPtr> sockets(const BroadcastOptions& options) const;
  std::vector<std::string> room_names() const;

  using Members = std::vector<SocketPtr>;
  // The members of `room` at this instant (the socket whose id it is among them, if that
  // socket is in its own room); an empty list for an unknown room. Hold the pointer in a named
  // local to iterate: the list may have been built for this call alone.
  std::shared_ptr<const Members> members(const std::string& room) const;

 private:
  struct Room {
    Members members;
    // Rebuilt lazily after a change, then shared by every broadcast until the next change.
    mutable std::shared_ptr<const Members> snapshot;

    void add(const SocketPtr& socket);
    // Returns whether the room is now empty.
    bool remove(const Socket& socket);
    std::shared_ptr<const Members> current() const;
  };
  struct RoomShard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Room> rooms;
  };
  // What the adapter knows of one of this node's sockets. Its key is the socket's own id, read
  // through the pointer: a set of these costs no copy of the id, and no separate key, per
  // socket.
  struct Membership {
    // Not owning: the namespace's list (everyone_) holds the socket until remove_socket.
    Socket* socket = nullptr;
    // Not part of the key. The rooms joined, in the order joined, but for the socket's own
    // room: that one is in_own_room, and its place in the order (Node's socket.rooms is a Set,
    // so a rejoined own room comes after the rooms joined before) is own_room_at, the number
    // of `rooms` before it: 8 bytes in all.
    mutable std::vector<std::string> rooms;
    mutable bool in_own_room = true;
    mutable std::uint32_t own_room_at = 0;

    std::vector<std::string> all_rooms() const;
  };
  // Hash and equality by socket id, for memberships and for ids alike (heterogeneous lookup).
  struct ById {
    using is_transparent = void;
    static std::string_view id_of(const Membership& membership) noexcept;
    static std::string_view id_of(std::string_view id) noexcept { return id; }
    template <class A>
    std::size_t operator()(const A& a) const noexcept {
      return std::hash<std::string_view>{}(id_of(a));
    }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return id_of(a) == id_of(b);
    }
  };
  struct MembershipShard {
    mutable std::mutex mutex;
    std::unordered_set<Membership, ById, ById> by_id;
  };
  static constexpr std::size_t kShards = 16;

  RoomShard& room_shard(const std::string& room) const;
  MembershipShard& membership_shard(const SocketId& id) const;
  void remove_from_room(const Socket& socket, const std::string& room);
  // The members of a room, as two parts that never overlap: those of the Room by that name,
  // and the socket whose id it is, if that socket is in its own room.
  struct RoomMembers {
    std::shared_ptr<const Members> joined;
    SocketPtr owner;
  };
  RoomMembers members_of(const std::string& room) const;
  // The socket whose id `id` is, if it is in its own room.
  SocketPtr own_room_member(const std::string& id) const;
  std::shared_ptr<const Members> everyone() const;
  // Calls `visit` once for every socket that `options` selects.
  template <class Visit>
  void for_each_selected(const BroadcastOptions& options, Visit visit) const;

  mutable std::array<RoomShard, kShards> room_shards_;
  mutable std::array<MembershipShard, kShards> membership_shards_;
  mutable std::mutex everyone_mutex_;
  Room everyone_;
};

}  // namespace socketio
