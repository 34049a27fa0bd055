#include "engineio/session_registry.hpp"

#include "engineio/address_quota.hpp"
#include "engineio/session.hpp"

namespace engineio {

SessionRegistry::Admission SessionRegistry::admit(const std::shared_ptr<Session>& session,
                                                  std::size_t max_sessions,
                                                  std::size_t max_per_address) {
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= max_sessions) return Admission::server_full;
  auto& from_address = sessions_per_address_[session->request().remote_address];
  if (from_address >= max_per_address) {
    if (from_address == 0) sessions_per_address_.erase(session->request().remote_address);
    return Admission::address_full;
  }
  ++from_address;
  sessions_.emplace(session->id(), Entry{session});
  return Admission::admitted;
}

std::shared_ptr<Session> SessionRegistry::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second.session;
}

bool SessionRegistry::hold_quota(const std::string& sid, AddressQuota& quota) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return false;
  it->second.quota = &quota;
  return true;
}

void SessionRegistry::remove(const std::string& sid) {
  AddressQuota* quota = nullptr;
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    session = std::move(it->second.session);
    quota = it->second.quota;
    auto count = sessions_per_address_.find(session->request().remote_address);
    if (count != sessions_per_address_.end() && --count->second == 0) {
      sessions_per_address_.erase(count);
    }
    sessions_.erase(it);
  }
  // Outside the lock: the quota may do IO.
  if (quota) quota->release(session->request().remote_address);
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Session>> all;
  all.reserve(sessions_.size());
  for (const auto& [sid, entry] : sessions_) all.push_back(entry.session);
  return all;
}

}  // namespace engineio
