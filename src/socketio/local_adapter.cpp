#include "socketio/local_adapter.hpp"

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "engineio/hand_off_batch.hpp"
#include "socketio/recovery.hpp"
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

std::string_view LocalAdapter::ById::id_of(const Membership& membership) noexcept {
  return membership.socket->id();
}

std::vector<std::string> LocalAdapter::Membership::all_rooms() const {
  if (!in_own_room) return rooms;
  auto all = rooms;
  all.insert(all.begin() + own_room_at, socket->id());
  return all;
}

LocalAdapter::MembershipShard& LocalAdapter::membership_shard(const SocketId& id) const {
  return membership_shards_[std::hash<std::string_view>{}(id) % kShards];
}

bool LocalAdapter::add_socket(const SocketPtr& socket) {
  {
    auto& shard = membership_shard(socket->id());
    std::lock_guard lock(shard.mutex);
    // A socket added twice is added once.
    const Membership added{
        .socket = socket.get(), .rooms = {}, .in_own_room = true, .own_room_at = 0};
    if (!shard.by_id.insert(added).second) {
      return false;
    }
  }
  std::lock_guard lock(everyone_mutex_);
  everyone_.add(socket);
  return true;
}

void LocalAdapter::remove_socket(const SocketId& id) {
  Membership gone;
  {
    auto& shard = membership_shard(id);
    std::lock_guard lock(shard.mutex);
    auto it = shard.by_id.find(std::string_view(id));
    if (it == shard.by_id.end()) return;
    gone = std::move(shard.by_id.extract(it).value());
  }
  const auto keep = gone.socket->shared_from_this();  // until it has left the last list
  for (const auto& room : gone.rooms) remove_from_room(*gone.socket, room);
  std::lock_guard lock(everyone_mutex_);
  everyone_.remove(*gone.socket);
}

void LocalAdapter::join(const SocketId& id, const std::string& room) {
  SocketPtr socket;
  {
    auto& shard = membership_shard(id);
    std::lock_guard lock(shard.mutex);
    auto it = shard.by_id.find(std::string_view(id));
    if (it == shard.by_id.end()) return;
    if (room == id) {
      if (!it->in_own_room) {
        it->in_own_room = true;
        it->own_room_at = static_cast<std::uint32_t>(it->rooms.size());
      }
      return;
    }
    auto& rooms = it->rooms;
    if (std::find(rooms.begin(), rooms.end(), room) != rooms.end()) return;
    rooms.push_back(room);
    socket = it->socket->shared_from_this();
  }
  auto& shard = room_shard(room);
  std::lock_guard lock(shard.mutex);
  shard.rooms[room].add(socket);
}

void LocalAdapter::leave(const SocketId& id, const std::string& room) {
  SocketPtr socket;
  {
    auto& shard = membership_shard(id);
    std::lock_guard lock(shard.mutex);
    auto it = shard.by_id.find(std::string_view(id));
    if (it == shard.by_id.end()) return;
    if (room == id) {
      it->in_own_room = false;
      return;
    }
    auto& rooms = it->rooms;
    auto found = std::find(rooms.begin(), rooms.end(), room);
    if (found == rooms.end()) return;
    if (static_cast<std::size_t>(found - rooms.begin()) < it->own_room_at) --it->own_room_at;
    rooms.erase(found);
    socket = it->socket->shared_from_this();
  }
  remove_from_room(*socket, room);
}

void LocalAdapter::remove_from_room(const Socket& socket, const std::string& room) {
  auto& shard = room_shard(room);
  std::lock_guard lock(shard.mutex);
  auto it = shard.rooms.find(room);
  if (it != shard.rooms.end() && it->second.remove(socket)) shard.rooms.erase(it);
}

std::vector<std::string> LocalAdapter::rooms_of(const SocketId& id) const {
  auto& shard = membership_shard(id);
  std::lock_guard lock(shard.mutex);
  auto it = shard.by_id.find(std::string_view(id));
  return it == shard.by_id.end() ? std::vector<std::string>{} : it->all_rooms();
}

SocketPtr LocalAdapter::own_room_member(const std::string& id) const {
  auto& shard = membership_shard(id);
  std::lock_guard lock(shard.mutex);
  auto it = shard.by_id.find(std::string_view(id));
  if (it == shard.by_id.end() || !it->in_own_room) return nullptr;
  return it->socket->shared_from_this();
}

LocalAdapter::RoomMembers LocalAdapter::members_of(const std::string& room) const {
  static const auto none = std::make_shared<const Members>();
  RoomMembers found{none, own_room_member(room)};
  auto& shard = room_shard(room);
  std::lock_guard lock(shard.mutex);
  // A socket joining the room of its own id only sets its flag, so `owner` is never in here.
  auto it = shard.rooms.find(room);
  if (it != shard.rooms.end()) found.joined = it->second.current();
  return found;
}

std::shared_ptr<const LocalAdapter::Members> LocalAdapter::members(const std::string& room) const {
  auto [joined, owner] = members_of(room);
  if (!owner) return joined;
  auto all = std::make_shared<Members>(*joined);
  all->push_back(std::move(owner));
  return all;
}

std::shared_ptr<const LocalAdapter::Members> LocalAdapter::everyone() const {
  std::lock_guard lock(everyone_mutex_);
  return everyone_.current();
}

template <class Visit>
void LocalAdapter::for_each_selected(const BroadcastOptions& options, Visit visit) const {
  // Every loop below keeps its snapshot in a named local: `for (x : *members(room))` would
  // drop the shared_ptr at once, and a room replaces its snapshot when a socket leaves it,
  // on another thread or here, since delivering can close a socket.
  auto for_each_member = [this](const std::string& room, auto&& visit_member) {
    const auto room_members = members_of(room);
    for (const auto& member : *room_members.joined) visit_member(member);
    if (room_members.owner) visit_member(room_members.owner);
  };
  std::unordered_set<const Socket*> excluded;
  for (const auto& room : options.except) {
    for_each_member(room, [&](const SocketPtr& member) { excluded.insert(member.get()); });
  }
  auto visit_unless_excluded = [&](const SocketPtr& socket) {
    if (excluded.empty() || !excluded.contains(socket.get())) visit(socket);
  };

  if (options.rooms.empty()) {
    const auto targets = everyone();
    for (const auto& socket : *targets) visit_unless_excluded(socket);
  } else if (options.rooms.size() == 1) {
    for_each_member(options.rooms.front(), visit_unless_excluded);
  } else {
    // A socket in several of the rooms is visited once.
    std::unordered_set<const Socket*> seen;
    for (const auto& room : options.rooms) {
      for_each_member(room, [&](const SocketPtr& socket) {
        if (seen.insert(socket.get()).second) visit_unless_excluded(socket);
      });
    }
  }
}

void LocalAdapter::broadcast(const Packet& packet, const BroadcastOptions& options) {
  const auto encoded = encode(packet);
  const auto offset = offset_of(packet);
  engineio::HandOffBatch hand_offs;  // one posted handler per group of recipients
  for_each_selected(options, [&](const SocketPtr& socket) {
    socket->deliver(encoded, options.flags.is_volatile, offset);
  });
}

std::vector<SocketPtr> LocalAdapter::sockets(const BroadcastOptions& options) const {
  std::vector<SocketPtr> selected;
  for_each_selected(options, [&](const SocketPtr& socket) { selected.push_back(socket); });
  return selected;
}

std::vector<std::string> LocalAdapter::room_names() const {
  std::vector<std::string> names;
  for (auto& shard : room_shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [name, room] : shard.rooms) names.push_back(name);
  }
  for (auto& shard : membership_shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& membership : shard.by_id) {
      if (membership.in_own_room) names.push_back(membership.socket->id());
    }
  }
  // A room named after a socket's id may also have been joined by others: it is listed once.
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void LocalAdapter::fetch_socket_ids(const BroadcastOptions& options, SocketIdsHandler done) {
  std::vector<SocketId> ids;
  for_each_selected(options, [&](const SocketPtr& socket) { ids.push_back(socket->id()); });
  done(std::move(ids));
}

void LocalAdapter::fetch_sockets(const BroadcastOptions& options, SocketsHandler done) {
  std::vector<SocketInfo> found;
  for_each_selected(options, [&](const SocketPtr& socket) {
    found.push_back({socket->id(), rooms_of(socket->id()), socket->data()});
  });
  done(std::move(found));
}

}  // namespace socketio
