#include "socketio/memory_session_store.hpp"

#include <algorithm>
#include <charconv>

#include "socketio/socket.hpp"

namespace socketio {

namespace {

// Whether a broadcast with `options` reached a socket in `rooms` (as the Node server decides).
bool reached(const std::vector<std::string>& rooms, const BroadcastOptions& options) {
  const auto in = [&](const std::vector<std::string>& list) {
    return std::any_of(rooms.begin(), rooms.end(), [&](const std::string& room) {
      return std::find(list.begin(), list.end(), room) != list.end();
    });
  };
  return (options.rooms.empty() || in(options.rooms)) && !in(options.except);
}

}  // namespace

std::optional<std::string> MemorySessionStore::record(const Packet& packet,
                                                      const BroadcastOptions& options) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (packets_.size() >= limits_.max_packets) packets_.pop_front();
  const auto offset = next_offset_++;
  packets_.push_back({offset, packet, options, now});
  return std::to_string(offset);
}

void MemorySessionStore::closed(const Socket& socket, std::vector<std::string> rooms,
                                DisconnectReason reason) {
  if (!is_recoverable(reason)) return;
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (sessions_.size() >= limits_.max_sessions) return;  // full of recent losses: not this one
  sessions_[socket.pid()] = {{socket.id(), std::move(rooms)}, now};
}

void MemorySessionStore::restore(const Socket&, const std::string& pid,
                                 const std::optional<std::string>& offset, RestoreHandler done) {
  std::optional<SavedSession> found;
  {
    std::lock_guard lock(mutex_);
    forget_expired(Clock::now());
    auto it = sessions_.find(pid);
    // As in Node, a client that received no broadcast has no offset to resume from.
    const auto expired = [&] {
      return it->second.disconnected_at + limits_.max_disconnection < Clock::now();
    };
    if (it != sessions_.end() && !expired() && offset && find_offset(*offset) != packets_.end()) {
      found = std::move(it->second.session);
      sessions_.erase(it);
    }
  }
  done(std::move(found));
}

void MemorySessionStore::missed(const Socket&, const SavedSession& session,
                                const std::optional<std::string>& offset, MissedHandler done) {
  std::optional<std::vector<Packet>> missed;
  {
    std::lock_guard lock(mutex_);
    auto it = offset ? find_offset(*offset) : packets_.end();
    if (it != packets_.end()) {
      missed.emplace();
      for (++it; it != packets_.end(); ++it) {
        if (!reached(session.rooms, it->options)) continue;
        auto packet = it->packet;
        packet.data.as_array().push_back(boost::json::string(std::to_string(it->offset)));
        missed->push_back(std::move(packet));
      }
    }
  }
  done(std::move(missed));
}

void MemorySessionStore::forget_expired(Clock::time_point now) {
  const auto threshold = now - limits_.max_disconnection;
  while (!packets_.empty() && packets_.front().emitted_at < threshold) packets_.pop_front();
  // Sessions are swept at most once a second: a sweep visits them all.
  if (now < next_sweep_) return;
  next_sweep_ = now + std::chrono::seconds(1);
  std::erase_if(sessions_,
                [&](const auto& entry) { return entry.second.disconnected_at < threshold; });
}

std::deque<MemorySessionStore::Recorded>::const_iterator MemorySessionStore::find_offset(
    const std::string& offset) const {
  std::uint64_t value = 0;
  const auto* end = offset.data() + offset.size();
  if (auto [ptr, ec] = std::from_chars(offset.data(), end, value);
      ec != std::errc() || ptr != end) {
    return packets_.end();
  }
  auto it = std::lower_bound(packets_.begin(), packets_.end(), value,
                             [](const Recorded& r, std::uint64_t v) { return r.offset < v; });
  return it != packets_.end() && it->offset == value ? it : packets_.end();
}

}  // namespace socketio
