#pragma once
// The open sessions by id, shared by all IO threads. Only polling requests and session
// open/close look here; WebSocket traffic goes straight to its session.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace engineio {

class Session;

class SessionRegistry {
 public:
  void add(const std::shared_ptr<Session>& session);
  std::shared_ptr<Session> find(const std::string& sid) const;
  void remove(const std::string& sid);
  std::size_t size() const;
  std::vector<std::shared_ptr<Session>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace engineio
