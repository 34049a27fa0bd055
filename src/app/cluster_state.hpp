#pragma once
// What this node shares with the other nodes through Redis besides broadcasts: the login limits
// and the per-address session cap (src/cluster). Without REDIS_URL, the node counts alone.

#include <memory>

#include "app/config.hpp"
#include "auth/login_limiter.hpp"
#include "cluster/redis_address_quota.hpp"
#include "engineio/server.hpp"
#include "net/executor.hpp"
#include "redis/client.hpp"

namespace app {

class ClusterState {
 public:
  // Connects to Redis (in the background) when the configuration names it.
  ClusterState(const Config& config, net::IoContext& ioc);
  ~ClusterState();
  ClusterState(const ClusterState&) = delete;
  ClusterState& operator=(const ClusterState&) = delete;

  // Shared through Redis, or this node's own.
  std::unique_ptr<auth::LoginLimiter> make_login_limiter() const;
  // Makes `engine` count sessions per address over all nodes (nothing without Redis).
  void share_address_cap(engineio::Server& engine);
  // Before the io_context stops: no more announcements or commands.
  void stop();

 private:
  std::string prefix_;
  std::shared_ptr<redis::Client> commands_;  // null without Redis
  std::shared_ptr<cluster::RedisAddressQuota> quota_;
};

}  // namespace app
