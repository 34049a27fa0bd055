#pragma once
// Report ids known to exist. Reports are never deleted, so once the database has shown a report,
// the answer cannot go stale; following a report (join_report) then needs no database read.

#include <cstdint>
#include <shared_mutex>
#include <unordered_set>

namespace service {

class KnownReports {
 public:
  // Beyond this many ids the set starts over, which bounds its memory at a few megabytes.
  static constexpr std::size_t kMaxIds = 100'000;

  bool contains(std::int64_t id) const {
    std::shared_lock lock(mutex_);
    return ids_.contains(id);
  }

  void add(std::int64_t id) {
    std::unique_lock lock(mutex_);
    if (ids_.size() >= kMaxIds) ids_.clear();
    ids_.insert(id);
  }

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_set<std::int64_t> ids_;
};

}  // namespace service
