#include "net/trusted_proxies.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>
#include <optional>
#include <stdexcept>

namespace net {

namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `visit` with each trimmed, non-empty entry of a comma-separated list, right to left.
template <class Visit>
bool for_each_from_right(std::string_view list, Visit visit) {
  while (!list.empty()) {
    const auto comma = list.rfind(',');
    const auto entry = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
    if (!entry.empty() && !visit(entry)) return false;
  }
  return true;
}

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  // An IPv4 client seen through an IPv6 socket ("::ffff:10.0.0.1") is that IPv4 client.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

TrustedProxies TrustedProxies::from_list(std::string_view comma_separated) {
  TrustedProxies proxies;
  auto& networks = proxies.networks_;
  for_each_from_right(comma_separated, [&](std::string_view entry) {
    boost::system::error_code ec;
    const std::string text(entry);
    const bool is_range = text.find('/') != std::string::npos;
    const auto address = is_range ? std::nullopt : parse_address(text);
    if (address && address->is_v4()) {
      networks.emplace_back(ip::network_v4(address->to_v4(), 32));
    } else if (address) {
      networks.emplace_back(ip::network_v6(address->to_v6(), 128));
    } else if (auto v4 = ip::make_network_v4(text, ec); !ec) {
      networks.emplace_back(v4.canonical());
    } else if (auto v6 = ip::make_network_v6(text, ec); !ec) {
      networks.emplace_back(v6.canonical());
    } else {
      throw std::invalid_argument("trusted proxies: '" + text +
                                  "' is neither an IP address nor a CIDR range");
    }
    return true;
  });
  return proxies;
}

bool TrustedProxies::trusts(std::string_view address) const {
  if (networks_.empty()) return false;
  const auto parsed = parse_address(address);
  if (!parsed) return false;
  for (const auto& network : networks_) {
    // An address is in a range when it has the range's network part under the same prefix.
    if (const auto* v4 = std::get_if<ip::network_v4>(&network); v4 && parsed->is_v4()) {
      if (ip::network_v4(parsed->to_v4(), v4->prefix_length()).network() == v4->network()) {
        return true;
      }
    } else if (const auto* v6 = std::get_if<ip::network_v6>(&network); v6 && parsed->is_v6()) {
      if (ip::network_v6(parsed->to_v6(), v6->prefix_length()).network() == v6->network()) {
        return true;
      }
    }
  }
  return false;
}

std::string TrustedProxies::client_address(
    std::string_view peer, const std::vector<std::string_view>& forwarded_for) const {
  if (!trusts(peer)) return std::string(peer);
  std::string client(peer);
  // The header's fields form one list in order; walk it from the right, past our own proxies.
  for (auto field = forwarded_for.rbegin(); field != forwarded_for.rend(); ++field) {
    const bool keep_going = for_each_from_right(*field, [&](std::string_view entry) {
      const auto address = parse_address(entry);
      if (!address) return false;  // unreadable: stop at the last hop we could read
      client = address->to_string();
      return trusts(client);
    });
    if (!keep_going) break;
  }
  return client;
}

}  // namespace net
