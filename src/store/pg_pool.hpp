#pragma once
// A bounded pool of PostgreSQL connections, opened on demand and each lent to one thread at a
// time.
//
// - At most `size` connections exist. A caller that finds none free waits for one at most
//   `acquire_timeout`, then gets StoreError(unavailable): callers are worker threads, and a
//   database that cannot keep up must turn into 503s, not into a worker pool that never returns.
// - A connection that failed in a way that ends it (server gone, backend terminated) is dropped
//   when it comes back, and so are the idle ones: they most likely lost their server too.
// - New connections are opened by the calls that need one. After a failed attempt, the next is
//   allowed only after a backoff (min_backoff doubling to max_backoff); calls in between fail at
//   once with unavailable instead of hammering the server. A successful connect resets it.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace store::pg {

struct PoolOptions {
  std::size_t size = 8;
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

class Pool {
 public:
  // Opens no connection yet.
  Pool(std::string url, PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection lent to the current thread; given back (or dropped, if broken) on destruction.
  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    ~Lease() { pool_.release(std::move(conn_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    Pool& pool_;
    std::unique_ptr<Connection> conn_;
  };

  // Throws StoreError(unavailable) when no connection can be had in time (or while in backoff).
  Lease acquire();

  std::size_t size() const { return options_.size; }
  // Connections open now (idle and lent), for tests.
  std::size_t open_connections();

 private:
  using Clock = std::chrono::steady_clock;

  std::unique_ptr<Connection> connect();
  void release(std::unique_ptr<Connection> conn);

  const std::string url_;
  const PoolOptions options_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle, lent, and being opened
  std::chrono::milliseconds backoff_{0};
  Clock::time_point next_attempt_{};
};

}  // namespace store::pg
