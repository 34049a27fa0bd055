#include "net/trusted_proxies.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using net::TrustedProxies;

TEST(TrustedProxies, NoneTrustedByDefaultSoThePeerIsTheClient) {
  TrustedProxies none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.trusts("127.0.0.1"));
  EXPECT_EQ(none.client_address("127.0.0.1", {"203.0.113.7"}), "127.0.0.1");
}

TEST(TrustedProxies, AddressesAndRangesOfBothFamilies) {
  auto proxies = TrustedProxies::from_list(" 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8");
  EXPECT_TRUE(proxies.trusts("127.0.0.1"));
  EXPECT_FALSE(proxies.trusts("127.0.0.2"));
  EXPECT_TRUE(proxies.trusts("10.200.3.4"));
  EXPECT_FALSE(proxies.trusts("11.0.0.1"));
  EXPECT_TRUE(proxies.trusts("::1"));
  EXPECT_TRUE(proxies.trusts("fd12::5"));
  EXPECT_FALSE(proxies.trusts("fe80::1"));
  EXPECT_TRUE(proxies.trusts("::ffff:10.1.2.3")) << "an IPv4 peer seen through an IPv6 socket";
  EXPECT_FALSE(proxies.trusts("not an address"));
}

TEST(TrustedProxies, ARangeIsReadFromAnyOfItsAddresses) {
  auto proxies = TrustedProxies::from_list("192.168.1.77/24");
  EXPECT_TRUE(proxies.trusts("192.168.1.1"));
  EXPECT_FALSE(proxies.trusts("192.168.2.1"));
}

TEST(TrustedProxies, RefusesWhatIsNeitherAddressNorRange) {
  EXPECT_THROW(TrustedProxies::from_list("127.0.0.1,localhost"), std::invalid_argument);
  EXPECT_THROW(TrustedProxies::from_list("10.0.0.0/33"), std::invalid_argument);
  EXPECT_TRUE(TrustedProxies::from_list("").empty());
  EXPECT_TRUE(TrustedProxies::from_list(" , ").empty());
}

TEST(TrustedProxies, TheClientIsTheRightmostHopThatIsNotAProxy) {
  auto proxies = TrustedProxies::from_list("127.0.0.1,10.0.0.0/8");
  // nginx appended the address it saw; the client forged the first entry.
  EXPECT_EQ(proxies.client_address("127.0.0.1", {"1.2.3.4, 203.0.113.7"}), "203.0.113.7");
  // Two proxies of ours in a row are skipped.
  EXPECT_EQ(proxies.client_address("127.0.0.1", {"203.0.113.7, 10.1.1.1"}), "203.0.113.7");
  // Several header fields are one list, in order.
  EXPECT_EQ(proxies.client_address("127.0.0.1", {"1.2.3.4", "198.51.100.9"}), "198.51.100.9");
  EXPECT_EQ(proxies.client_address("127.0.0.1", {"::ffff:198.51.100.9"}), "198.51.100.9");
}

TEST(TrustedProxies, AnUntrustedPeerOrAnUnreadableHeaderLeavesThePeer) {
  auto proxies = TrustedProxies::from_list("127.0.0.1");
  EXPECT_EQ(proxies.client_address("198.51.100.1", {"203.0.113.7"}), "198.51.100.1")
      << "anyone else's header is ignored";
  EXPECT_EQ(proxies.client_address("127.0.0.1", {}), "127.0.0.1");
  EXPECT_EQ(proxies.client_address("127.0.0.1", {"garbage"}), "127.0.0.1");
  // Reading stops at the first hop it cannot read: nothing left of it is believed.
  EXPECT_EQ(proxies.client_address("127.0.0.1", {"203.0.113.7, unknown"}), "127.0.0.1");
}

}  // namespace
