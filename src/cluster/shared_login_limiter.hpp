#pragma once
// The login limits of auth::LoginLimiter counted in Redis, so that every node of a cluster sees
// the failures of all: with N nodes, a guesser still gets the limits once, not N times. The
// same three sliding windows, each a sorted set of failure times, read and written by one Lua
// script per call so that nodes never race between the check and the write.
//
// When Redis does not answer within a short time, this node's own counts decide (the base
// class, which records every failure too): logins go on, with the per-node limits.
//
// Calls block for one Redis round trip: they run on the worker pool, like the password hash
// they guard.

#include <chrono>
#include <memory>
#include <string>

#include "auth/login_limiter.hpp"
#include "redis/client.hpp"

namespace cluster {

class SharedLoginLimiter : public auth::LoginLimiter {
 public:
  // Keys are "<prefix>:login:...". `client` is a command client (not a subscriber).
  SharedLoginLimiter(std::shared_ptr<redis::Client> client, std::string prefix,
                     auth::LoginLimits limits = {});

  std::optional<std::chrono::seconds> refused(std::string_view username, std::string_view address,
                                              Clock::time_point now) override;
  void record_failure(std::string_view username, std::string_view address,
                      Clock::time_point now) override;
  void record_success(std::string_view username, std::string_view address) override;

 private:
  // The keys of the pair, the username and the address, in the scripts' order.
  std::vector<std::string> keys(std::string_view username, std::string_view address) const;

  std::shared_ptr<redis::Client> client_;
  std::string prefix_;
};

}  // namespace cluster
