// Password hashing and the login limiter.

#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "auth/login_limiter.hpp"
#include "auth/password.hpp"

namespace {

using namespace std::chrono_literals;

// ---- passwords --------------------------------------------------------------------------------

TEST(Password, HashIsArgon2idAndVerifies) {
  const std::string hash = auth::hash_password("correct horse battery staple");
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_TRUE(auth::verify_password("correct horse battery staple", hash));
  EXPECT_FALSE(auth::verify_password("correct horse battery stapl", hash));
  EXPECT_FALSE(auth::verify_password("", hash));
}

TEST(Password, SaltsDiffer) {
  const std::string a = auth::hash_password("same");
  const std::string b = auth::hash_password("same");
  EXPECT_NE(a, b);
  EXPECT_TRUE(auth::verify_password("same", a));
  EXPECT_TRUE(auth::verify_password("same", b));
}

TEST(Password, EmptyAndBinaryPasswords) {
  const std::string empty = auth::hash_password("");
  EXPECT_TRUE(auth::verify_password("", empty));
  EXPECT_FALSE(auth::verify_password("x", empty));

  const std::string binary("a\0b", 3);
  const std::string hash = auth::hash_password(binary);
  EXPECT_TRUE(auth::verify_password(binary, hash));
  EXPECT_FALSE(auth::verify_password("a", hash));
}

TEST(Password, MalformedHashesAreFalse) {
  const std::string good = auth::hash_password("pw");
  EXPECT_FALSE(auth::verify_password("pw", ""));
  EXPECT_FALSE(auth::verify_password("pw", "not a hash"));
  EXPECT_FALSE(auth::verify_password("pw", "$argon2id$"));
  EXPECT_FALSE(auth::verify_password("pw", "$argon2id$v=19$m=65536,t=2,p=1$garbage"));
  EXPECT_FALSE(auth::verify_password("pw", good.substr(0, good.size() - 5)));
  EXPECT_FALSE(auth::verify_password("pw", good + "AAAA"));
  EXPECT_FALSE(auth::verify_password("pw", good + std::string(1, '\0')));
  EXPECT_FALSE(auth::verify_password("pw", good + std::string(200, 'A')));
  // A bcrypt hash and a plain SHA-256 hex digest.
  EXPECT_FALSE(
      auth::verify_password("pw", "$2b$12$KIXQJ1Z5q8h8n1xw1Y9xUeZJH8c5b5P0f3y1QJZ5Y9xUeZJH8c5b5"));
  EXPECT_FALSE(auth::verify_password(
      "pw", "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"));
}

TEST(Password, Argon2iHashIsRefused) {
  // A genuine argon2i hash: libsodium itself verifies it, but only argon2id is accepted.
  ASSERT_GE(sodium_init(), 0);
  char argon2i[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(argon2i, "pw", 2, crypto_pwhash_argon2i_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_argon2i_MEMLIMIT_INTERACTIVE,
                                  crypto_pwhash_ALG_ARGON2I13),
            0);
  ASSERT_TRUE(std::string_view(argon2i).starts_with("$argon2i$"));
  ASSERT_EQ(crypto_pwhash_str_verify(argon2i, "pw", 2), 0);
  EXPECT_FALSE(auth::verify_password("pw", argon2i));
}

// ---- login limiter ----------------------------------------------------------------------------

using Clock = auth::LoginLimiter::Clock;
const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(LoginLimiter, FreshKeysAreNotRefused) {
  auth::LoginLimiter limiter;
  EXPECT_FALSE(limiter.refused("alice", "10.0.0.1", t0));
}

TEST(LoginLimiter, LimitsPerUsernameAndAddressPair) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 3,
                              .max_failures_per_username = 100,
                              .max_failures_per_address = 100,
                              .window = 60s});
  for (int i = 0; i < 2; ++i) limiter.record_failure("alice", "10.0.0.1", t0);
  EXPECT_FALSE(limiter.refused("alice", "10.0.0.1", t0));
  limiter.record_failure("alice", "10.0.0.1", t0 + 10s);
  EXPECT_EQ(limiter.refused("alice", "10.0.0.1", t0 + 20s), std::optional(40s));
  // The same address may still try others, and alice may still come from elsewhere.
  EXPECT_FALSE(limiter.refused("bob", "10.0.0.1", t0 + 20s));
  EXPECT_FALSE(limiter.refused("alice", "10.0.0.2", t0 + 20s));
}

TEST(LoginLimiter, GuessesFromManyAddressesCannotLockTheOwnerOut) {
  // The attack: wrong passwords for one username from any number of addresses.
  auth::LoginLimiter limiter;
  for (int i = 0; i < 200; ++i) {
    const auto address = "203.0.113." + std::to_string(i);
    if (!limiter.refused("alice", address, t0)) limiter.record_failure("alice", address, t0);
  }
  EXPECT_FALSE(limiter.refused("alice", "198.51.100.7", t0 + 1s));
}

TEST(LoginLimiter, GuessesPerUsernameAreCappedAcrossAddresses) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 5,
                              .max_failures_per_username = 10,
                              .max_failures_per_address = 100,
                              .window = 60s});
  int guesses = 0;
  // Ten addresses, each trying as often as it is let.
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 10; ++i) {
      const auto address = "203.0.113." + std::to_string(i);
      if (limiter.refused("alice", address, t0)) continue;
      limiter.record_failure("alice", address, t0);
      ++guesses;
    }
  }
  // Ten by the username cap, plus nothing: every one of those addresses has failed already.
  EXPECT_EQ(guesses, 10);
  EXPECT_TRUE(limiter.refused("alice", "203.0.113.0", t0 + 1s));
  // A fresh address gets its one chance; after it fails, it is refused too.
  EXPECT_FALSE(limiter.refused("alice", "203.0.113.99", t0 + 1s));
  limiter.record_failure("alice", "203.0.113.99", t0 + 1s);
  EXPECT_TRUE(limiter.refused("alice", "203.0.113.99", t0 + 1s));
  // All is forgotten once the window has passed.
  EXPECT_FALSE(limiter.refused("alice", "203.0.113.0", t0 + 62s));
}

TEST(LoginLimiter, LimitsPerAddress) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 100,
                              .max_failures_per_username = 100,
                              .max_failures_per_address = 4,
                              .window = 60s});
  for (int i = 0; i < 4; ++i) limiter.record_failure("user" + std::to_string(i), "10.0.0.1", t0);
  EXPECT_EQ(limiter.refused("someone-else", "10.0.0.1", t0 + 1s), std::optional(59s));
  EXPECT_FALSE(limiter.refused("someone-else", "10.0.0.2", t0 + 1s));
}

TEST(LoginLimiter, Ipv6AddressesCountPerSlash64) {
  EXPECT_EQ(auth::address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(auth::address_key("2001:db8:1:2:bbbb:cccc:dddd:eeee"), "2001:db8:1:2::/64");
  EXPECT_EQ(auth::address_key("192.0.2.1"), "192.0.2.1");
  auth::LoginLimiter limiter({.max_failures_per_pair = 2,
                              .max_failures_per_username = 100,
                              .max_failures_per_address = 100,
                              .window = 60s});
  limiter.record_failure("alice", "2001:db8:1:2::1", t0);
  limiter.record_failure("alice", "2001:db8:1:2::2", t0);
  EXPECT_TRUE(limiter.refused("alice", "2001:db8:1:2::3", t0));
  EXPECT_FALSE(limiter.refused("alice", "2001:db8:1:3::1", t0));
}

TEST(LoginLimiter, WindowSlides) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 2,
                              .max_failures_per_username = 100,
                              .max_failures_per_address = 100,
                              .window = 60s});
  limiter.record_failure("alice", "a", t0);
  limiter.record_failure("alice", "a", t0 + 30s);
  EXPECT_EQ(limiter.refused("alice", "a", t0 + 31s), std::optional(29s));
  // The first failure leaves the window at t0 + 60s.
  EXPECT_EQ(limiter.refused("alice", "a", t0 + 59s), std::optional(1s));
  EXPECT_FALSE(limiter.refused("alice", "a", t0 + 60s));
  limiter.record_failure("alice", "a", t0 + 61s);
  EXPECT_EQ(limiter.refused("alice", "a", t0 + 62s), std::optional(28s));
  EXPECT_FALSE(limiter.refused("alice", "a", t0 + 200s));
}

TEST(LoginLimiter, WaitRoundsUpToWholeSeconds) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 1,
                              .max_failures_per_username = 100,
                              .max_failures_per_address = 100,
                              .window = 10s});
  limiter.record_failure("alice", "a", t0);
  EXPECT_EQ(limiter.refused("alice", "a", t0 + 9500ms), std::optional(1s));
  EXPECT_EQ(limiter.refused("alice", "a", t0 + 1ms), std::optional(10s));
}

TEST(LoginLimiter, ManyFailuresKeepTheNewestDeciding) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 3,
                              .max_failures_per_username = 1000,
                              .max_failures_per_address = 1000,
                              .window = 100s});
  for (int i = 0; i < 50; ++i) limiter.record_failure("alice", "a", t0 + std::chrono::seconds(i));
  // Failures at t0+47, +48, +49 are the newest three; refused until t0+47 leaves the window.
  EXPECT_EQ(limiter.refused("alice", "a", t0 + 50s), std::optional(97s));
  EXPECT_TRUE(limiter.refused("alice", "a", t0 + 146s));
  EXPECT_FALSE(limiter.refused("alice", "a", t0 + 147s));
}

TEST(LoginLimiter, SuccessForgetsThePairOnly) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 2,
                              .max_failures_per_username = 3,
                              .max_failures_per_address = 3,
                              .window = 60s});
  limiter.record_failure("alice", "a", t0);
  limiter.record_failure("alice", "a", t0);
  EXPECT_TRUE(limiter.refused("alice", "a", t0));
  limiter.record_success("alice", "a");
  EXPECT_FALSE(limiter.refused("alice", "a", t0));
  // Address "a" still has its two failures: one more and it is refused for everyone.
  limiter.record_failure("bob", "a", t0);
  EXPECT_TRUE(limiter.refused("carol", "a", t0));
  // alice's count still has its two failures too: one more from "b" fills it, and "b" (which
  // has failed) is refused while "c" (which has not) is not.
  limiter.record_failure("alice", "b", t0);
  EXPECT_TRUE(limiter.refused("alice", "b", t0));
  EXPECT_FALSE(limiter.refused("alice", "c", t0));
}

TEST(LoginLimiter, OutOfOrderTimestamps) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 2,
                              .max_failures_per_username = 100,
                              .max_failures_per_address = 100,
                              .window = 60s});
  limiter.record_failure("alice", "a", t0 + 10s);
  limiter.record_failure("alice", "a", t0);  // a thread that took its time stamp earlier
  EXPECT_EQ(limiter.refused("alice", "a", t0 + 10s), std::optional(50s));
}

TEST(LoginLimiter, NonPositiveLimitDisablesThatCheck) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 0,
                              .max_failures_per_username = 0,
                              .max_failures_per_address = 2,
                              .window = 60s});
  limiter.record_failure("alice", "a", t0);
  EXPECT_FALSE(limiter.refused("alice", "b", t0));
  EXPECT_FALSE(limiter.refused("alice", "a", t0));
  limiter.record_failure("alice", "a", t0);
  EXPECT_TRUE(limiter.refused("alice", "a", t0));
}

TEST(LoginLimiter, ManyDistinctKeysAreSweptWithoutBreakingAnything) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 2,
                              .max_failures_per_username = 2,
                              .max_failures_per_address = 2,
                              .window = 10s});
  limiter.record_failure("victim", "v", t0 + 100s);
  limiter.record_failure("victim", "v", t0 + 100s);
  for (int i = 0; i < 5000; ++i) {
    const auto key = std::to_string(i);
    limiter.record_failure("u" + key, "a" + key, t0 + std::chrono::milliseconds(i * 20));
  }
  EXPECT_TRUE(limiter.refused("victim", "v", t0 + 101s));
  EXPECT_FALSE(limiter.refused("u0", "a0", t0 + 101s));
}

TEST(LoginLimiter, ConcurrentUse) {
  auth::LoginLimiter limiter({.max_failures_per_pair = 1000000,
                              .max_failures_per_username = 1000000,
                              .max_failures_per_address = 1000000,
                              .window = 600s});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&limiter, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto name = "user" + std::to_string(i % 50);
        const auto address = "addr" + std::to_string(t);
        limiter.record_failure(name, address, t0 + std::chrono::milliseconds(i));
        (void)limiter.refused(name, "addr", t0 + std::chrono::milliseconds(i));
        if (i % 7 == 0) limiter.record_success(name, address);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auth::LoginLimiter strict({.max_failures_per_pair = 5,
                             .max_failures_per_username = 100,
                             .max_failures_per_address = 8000,
                             .window = 600s});
  threads.clear();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&strict] {
      for (int i = 0; i < 2000; ++i) strict.record_failure("x" + std::to_string(i), "shared", t0);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(strict.refused("new", "shared", t0 + 1s));
}

}  // namespace
