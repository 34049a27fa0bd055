#pragma once
// The open sessions by id, shared by all IO threads, with the limits on how many may be open at
// once, in all and per client address. Only polling requests and session open/close look here;
// WebSocket traffic goes straight to its session.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace engineio {

class AddressQuota;
class Session;

class SessionRegistry {
 public:
  enum class Admission { admitted, server_full, address_full };

  // Adds the session unless that would exceed `max_sessions` in all, or
  // `max_per_address` for its client's address.
  Admission admit(const std::shared_ptr<Session>& session, std::size_t max_sessions,
                  std::size_t max_per_address);
  std::shared_ptr<Session> find(const std::string& sid) const;
  // Records that the session holds a place of `quota`, given back when it is removed. Returns
  // false (and records nothing) when the session is already gone.
  bool hold_quota(const std::string& sid, AddressQuota& quota);
  void remove(const std::string& sid);
  std::size_t size() const;
  std::vector<std::shared_ptr<Session>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  struct Entry {
    std::shared_ptr<Session> session;
    AddressQuota* quota = nullptr;  // set when the session holds a place of it
  };
  // Keyed by a view of the session's own id, which lives as long as the entry holds the session:
  // no second copy of every sid.
  std::unordered_map<std::string_view, Entry> sessions_;
  std::unordered_map<std::string, std::size_t> sessions_per_address_;
};

}  // namespace engineio
