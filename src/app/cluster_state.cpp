#include "app/cluster_state.hpp"

#include <boost/asio/strand.hpp>

#include "base/random.hpp"
#include "cluster/shared_login_limiter.hpp"

namespace app {

ClusterState::ClusterState(const Config& config, net::IoContext& ioc)
    : prefix_(config.redis_prefix) {
  if (config.redis_url.empty()) return;
  redis::ClientOptions options;
  options.endpoint = redis::parse_url(config.redis_url);
  options.name = "cluster_state";
  commands_ = redis::Client::create(boost::asio::make_strand(ioc), std::move(options));
  commands_->start();
  // A new id at every start: the sessions of this node's previous life stop counting when that
  // life's node key expires.
  quota_ = cluster::RedisAddressQuota::create(boost::asio::make_strand(ioc), commands_, prefix_,
                                              base::random_hex(8));
  quota_->start();
}

ClusterState::~ClusterState() {
  stop();
}

std::unique_ptr<auth::LoginLimiter> ClusterState::make_login_limiter() const {
  if (!commands_) return std::make_unique<auth::LoginLimiter>();
  return std::make_unique<cluster::SharedLoginLimiter>(commands_, prefix_);
}

void ClusterState::share_address_cap(engineio::Server& engine) {
  if (quota_) engine.set_address_quota(quota_.get());
}

void ClusterState::stop() {
  if (quota_) quota_->stop();
  if (commands_) commands_->stop();
}

}  // namespace app
