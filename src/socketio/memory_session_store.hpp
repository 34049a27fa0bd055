#pragma once
// Sessions and broadcasts kept in this process for connection state recovery, as the Node
// server keeps them: a session is saved when its connection is lost and can be resumed for
// `max_disconnection`; the broadcasts of that window are kept to replay what it missed. Enough
// for one process; sessions do not survive a restart and are not seen by other nodes.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "socketio/recovery.hpp"

namespace socketio {

class MemorySessionStore : public SessionStore {
 public:
  struct Limits {
    std::chrono::milliseconds max_disconnection{120'000};
    // Bounds on memory whatever the traffic: the oldest broadcasts and sessions go first.
    std::size_t max_packets = 10'000;
    std::size_t max_sessions = 100'000;
  };
  explicit MemorySessionStore(Limits limits) : limits_(limits) {}
  MemorySessionStore() : MemorySessionStore(Limits{}) {}

  std::optional<std::string> record(const Packet& packet, const BroadcastOptions& options) override;
  void opened(const Socket&) override {}
  void rooms_changed(const Socket&) override {}
  void closed(const Socket& socket, std::vector<std::string> rooms,
              DisconnectReason reason) override;
  void restore(const Socket& socket, const std::string& pid,
               const std::optional<std::string>& offset, RestoreHandler done) override;
  void missed(const Socket& socket, const SavedSession& session,
              const std::optional<std::string>& offset, MissedHandler done) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Kept {
    SavedSession session;
    Clock::time_point disconnected_at;
  };
  struct Recorded {
    std::uint64_t offset;
    Packet packet;
    BroadcastOptions options;
    Clock::time_point emitted_at;
  };

  // Mutex held.
  void forget_expired(Clock::time_point now);
  std::deque<Recorded>::const_iterator find_offset(const std::string& offset) const;

  const Limits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Kept> sessions_;  // by pid
  std::deque<Recorded> packets_;                    // oldest first, offsets ascending
  std::uint64_t next_offset_ = 1;
  Clock::time_point next_sweep_{};
};

}  // namespace socketio
