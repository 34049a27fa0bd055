#pragma once
// engineio::AddressQuota counted in Redis: each node keeps, per client address, how many of its
// sessions come from there (a hash "<prefix>:sessions:<address>" of node id to count), and a
// handshake is admitted while the counts of all live nodes together stay under the limit. A
// node is live while its key "<prefix>:node:<id>" exists: it refreshes it every few seconds, so
// the counts of a node that died stop counting within kNodeTtl.
//
// Redis away or slow (no verdict within kTimeout): the handshake is admitted, the local cap
// still holds, and the place is not counted in Redis (so it is not given back there either).

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engineio/address_quota.hpp"
#include "net/executor.hpp"
#include "redis/client.hpp"

namespace cluster {

class RedisAddressQuota : public engineio::AddressQuota,
                          public std::enable_shared_from_this<RedisAddressQuota> {
 public:
  static constexpr std::chrono::milliseconds kTimeout{250};
  static constexpr std::chrono::seconds kNodeTtl{15};

  // `client` is a command client (not a subscriber); `node_id` tells this node from the others.
  static std::shared_ptr<RedisAddressQuota> create(net::Strand strand,
                                                   std::shared_ptr<redis::Client> client,
                                                   std::string prefix, std::string node_id);
  // Starts announcing that this node is live.
  void start();
  // Stops the announcements; places held stay until the node key expires.
  void stop();

  void acquire(const std::string& address, std::size_t limit, Verdict done) override;
  void release(const std::string& address) override;

 private:
  RedisAddressQuota(net::Strand strand, std::shared_ptr<redis::Client> client, std::string prefix,
                    std::string node_id);
  void announce();
  // Remembers a place granted in Redis; release() gives back only those.
  void held_in_redis(const std::string& address);

  net::Strand strand_;
  std::shared_ptr<redis::Client> client_;
  const std::string prefix_;
  const std::string node_id_;
  boost::asio::steady_timer announce_timer_;  // on strand_
  bool stopped_ = false;                      // on strand_

  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> held_;  // places counted in Redis, per address
};

}  // namespace cluster
