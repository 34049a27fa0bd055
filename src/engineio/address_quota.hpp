#pragma once
// Sessions per client address counted together with other servers (the nodes of a cluster),
// so that adding servers does not multiply what one address may hold. The local count
// (ServerOptions::max_sessions_per_address) is always checked first; a quota, when installed,
// is asked afterwards, and the handshake waits for its verdict.

#include <cstddef>
#include <functional>
#include <string>

namespace engineio {

class AddressQuota {
 public:
  // Called once, from any thread.
  using Verdict = std::function<void(bool admitted)>;

  virtual ~AddressQuota() = default;
  // Any thread. Takes a place for one more session from `address` when fewer than `limit` are
  // open across all servers. A quota that cannot tell (its shared store is away) admits: the
  // local limit still holds.
  virtual void acquire(const std::string& address, std::size_t limit, Verdict done) = 0;
  // Any thread. Gives back a place that acquire() granted.
  virtual void release(const std::string& address) = 0;
};

}  // namespace engineio
