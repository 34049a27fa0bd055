#include "store/pg_pool.hpp"

#include <algorithm>
#include <utility>

namespace store::pg {

namespace {

[[noreturn]] void unavailable(const std::string& what) {
  throw StoreError(StoreError::Kind::unavailable, "postgres: " + what);
}

}  // namespace

Pool::Pool(std::string url, PoolOptions options) : url_(std::move(url)), options_(options) {}

Pool::~Pool() = default;

std::size_t Pool::open_connections() {
  std::lock_guard lock(mutex_);
  return open_;
}

Pool::Lease Pool::acquire() {
  const auto deadline = Clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      // Never blocks; catches a connection whose backend was terminated while it sat idle.
      if (conn->still_alive()) return Lease(*this, std::move(conn));
      --open_;
    }
    if (open_ < options_.size) {
      if (backoff_.count() > 0) {
        const auto now = Clock::now();
        if (now < next_attempt_) {
          const auto wait =
              std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
          unavailable("database unreachable; next connection attempt in " +
                      std::to_string(wait.count()) + " ms");
        }
        // One probe at a time while the server is unreachable; the others fail fast.
        next_attempt_ = now + options_.max_backoff;
      }
      ++open_;
      lock.unlock();
      return Lease(*this, connect());
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      unavailable("no free database connection within " +
                  std::to_string(options_.acquire_timeout.count()) + " ms (pool of " +
                  std::to_string(options_.size) + ")");
    }
  }
}

// Called with open_ counting the connection being opened.
std::unique_ptr<Connection> Pool::connect() {
  try {
    auto conn = std::make_unique<Connection>(url_);
    std::lock_guard lock(mutex_);
    backoff_ = std::chrono::milliseconds{0};
    return conn;
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      --open_;
      backoff_ = backoff_.count() == 0 ? options_.min_backoff
                                       : std::min(backoff_ * 2, options_.max_backoff);
      next_attempt_ = Clock::now() + backoff_;
    }
    changed_.notify_one();
    throw;
  }
}

void Pool::release(std::unique_ptr<Connection> conn) {
  if (!conn) return;
  std::vector<std::unique_ptr<Connection>> dropped;  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    if (conn->usable() && PQtransactionStatus(conn->get()) == PQTRANS_IDLE) {
      idle_.push_back(std::move(conn));
    } else {
      // A connection that lost its server: the idle ones most likely did too (a restart, a
      // failover), so they go as well rather than fail one call each.
      const bool server_lost = !conn->usable();
      dropped.push_back(std::move(conn));
      if (server_lost) {
        for (auto& idle : idle_) dropped.push_back(std::move(idle));
        idle_.clear();
      }
      open_ -= dropped.size();
    }
  }
  changed_.notify_all();
}

}  // namespace store::pg
