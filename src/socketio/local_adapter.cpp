#include "socketio/local_adapter.hpp"

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "socketio/socket.hpp"

namespace socketio {

void LocalAdapter::Room::add(const SocketPtr& socket) {
  members.push_back(socket);
  snapshot.reset();
}

bool LocalAdapter::Room::remove(const Socket& socket) {
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const SocketPtr& member) { return member.get() == &socket; });
  if (it != members.end()) {
    // Order within a room does not matter: swap with the last instead of shifting.
    std::iter_swap(it, members.end() - 1);
    members.pop_back();
    snapshot.reset();
  }
  return members.empty();
}

std::shared_ptr<const LocalAdapter::Members> LocalAdapter::Room::current() const {
  if (!snapshot) snapshot = std::make_shared<const Members>(members);
  return snapshot;
}

LocalAdapter::RoomShard& LocalAdapter::room_shard(const std::string& room) const {
  return room_shards_[std::hash<std::string>{}(room) % kShards];
}

LocalAdapter::MembershipShard& LocalAdapter::membership_shard(const Socket& socket) const {
  return membership_shards_[std::hash<const Socket*>{}(&socket) % kShards];
}

void LocalAdapter::add_socket(const SocketPtr& socket) {
  {
    std::lock_guard lock(everyone_mutex_);
    everyone_.add(socket);
  }
  join(socket, socket->id());
}

void LocalAdapter::remove_socket(const Socket& socket) {
  std::vector<std::string> rooms;
  {
    auto& shard = membership_shard(socket);
    std::lock_guard lock(shard.mutex);
    auto it = shard.rooms_by_socket.find(&socket);
    if (it != shard.rooms_by_socket.end()) {
      rooms = std::move(it->second);
      shard.rooms_by_socket.erase(it);
    }
  }
  for (const auto& room : rooms) remove_from_room(socket, room);
  std::lock_guard lock(everyone_mutex_);
  everyone_.remove(socket);
}

void LocalAdapter::join(const SocketPtr& socket, const std::string& room) {
  {
    auto& shard = membership_shard(*socket);
    std::lock_guard lock(shard.mutex);
    auto& rooms = shard.rooms_by_socket[socket.get()];
    if (std::find(rooms.begin(), rooms.end(), room) != rooms.end()) return;
    rooms.push_back(room);
  }
  auto& shard = room_shard(room);
  std::lock_guard lock(shard.mutex);
  shard.rooms[room].add(socket);
}

void LocalAdapter::leave(const Socket& socket, const std::string& room) {
  {
    auto& shard = membership_shard(socket);
    std::lock_guard lock(shard.mutex);
    auto it = shard.rooms_by_socket.find(&socket);
    if (it == shard.rooms_by_socket.end()) return;
    auto& rooms = it->second;
    auto found = std::find(rooms.begin(), rooms.end(), room);
    if (found == rooms.end()) return;
    rooms.erase(found);
  }
  remove_from_room(socket, room);
}

void LocalAdapter::remove_from_room(const Socket& socket, const std::string& room) {
  auto& shard = room_shard(room);
  std::lock_guard lock(shard.mutex);
  auto it = shard.rooms.find(room);
  if (it != shard.rooms.end() && it->second.remove(socket)) shard.rooms.erase(it);
}

std::vector<std::string> LocalAdapter::rooms_of(const Socket& socket) const {
  auto& shard = membership_shard(socket);
  std::lock_guard lock(shard.mutex);
  auto it = shard.rooms_by_socket.find(&socket);
  return it == shard.rooms_by_socket.end() ? std::vector<std::string>{} : it->second;
}

std::size_t LocalAdapter::room_size(const std::string& room) const {
  auto& shard = room_shard(room);
  std::lock_guard lock(shard.mutex);
  auto it = shard.rooms.find(room);
  return it == shard.rooms.end() ? 0 : it->second.members.size();
}

std::shared_ptr<const LocalAdapter::Members> LocalAdapter::members(const std::string& room) const {
  static const auto none = std::make_shared<const Members>();
  auto& shard = room_shard(room);
  std::lock_guard lock(shard.mutex);
  auto it = shard.rooms.find(room);
  return it == shard.rooms.end() ? none : it->second.current();
}

std::shared_ptr<const LocalAdapter::Members> LocalAdapter::everyone() const {
  std::lock_guard lock(everyone_mutex_);
  return everyone_.current();
}

void LocalAdapter::broadcast(const Packet& packet, const BroadcastOptions& options) {
  const auto encoded = encode(packet);

  // Every loop below keeps its snapshot in a named local: `for (x : *members(room))` would
  // drop the shared_ptr at once, and a room replaces its snapshot when a socket leaves it,
  // on another thread or here, since delivering can close a socket.
  std::unordered_set<const Socket*> excluded;
  for (const auto& room : options.except) {
    const auto room_members = members(room);
    for (const auto& member : *room_members) excluded.insert(member.get());
  }
  auto deliver = [&](const SocketPtr& socket) {
    if (excluded.empty() || !excluded.contains(socket.get())) {
      socket->deliver(encoded, options.is_volatile);
    }
  };

  if (options.rooms.empty()) {
    const auto targets = everyone();
    for (const auto& socket : *targets) deliver(socket);
  } else if (options.rooms.size() == 1) {
    const auto targets = members(options.rooms.front());
    for (const auto& socket : *targets) deliver(socket);
  } else {
    // A socket in several of the rooms still gets the packet once.
    std::unordered_set<const Socket*> seen;
    for (const auto& room : options.rooms) {
      const auto targets = members(room);
      for (const auto& socket : *targets) {
        if (seen.insert(socket.get()).second) deliver(socket);
      }
    }
  }
}

}  // namespace socketio
