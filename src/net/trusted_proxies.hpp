#pragma once
// Which peers are our own reverse proxies (nginx, a load balancer), so that the client's
// address is read from the X-Forwarded-For header they add instead of the TCP peer's. Behind a
// proxy every client shares the proxy's address: without this, the per-address caps (sessions,
// login attempts) would count all users as one, and logs would name the proxy.
//
// Only the hops we trust are skipped: the client address is the rightmost X-Forwarded-For
// entry that is not itself a trusted proxy. Entries left of it were written by the client and
// may be forged, so they are never used.

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace net {

class TrustedProxies {
 public:
  // Trusts no one: the TCP peer is the client.
  TrustedProxies() = default;
  // A comma-separated list of addresses and CIDR ranges ("127.0.0.1, 10.0.0.0/8, ::1"), as in
  // the TRUSTED_PROXIES setting. Throws std::invalid_argument naming the entry it cannot read.
  static TrustedProxies from_list(std::string_view comma_separated);

  bool empty() const { return networks_.empty(); }
  bool trusts(std::string_view address) const;
  // The client's address for a request from `peer` carrying these X-Forwarded-For values (all
  // of the header's fields, in order). `peer` itself when it is not trusted, or when the header
  // is missing or unreadable.
  std::string client_address(std::string_view peer,
                             const std::vector<std::string_view>& forwarded_for) const;

 private:
  using Network = std::variant<boost::asio::ip::network_v4, boost::asio::ip::network_v6>;
  std::vector<Network> networks_;
};

}  // namespace net
