// The outbox that other threads put a session's packets in until its strand takes them.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "engineio/outbox.hpp"

using engineio::Outbox;
using engineio::SharedPacket;

namespace {

SharedPacket packet(std::string text) {
  return engineio::encode_packet(engineio::PacketType::message, text);
}

// What the strand would send, in order: each packet's bytes.
std::vector<std::string> take_bytes(Outbox& outbox) {
  std::vector<std::string> bytes;
  for (auto taken = outbox.take(); !taken.empty();) bytes.push_back(taken.pop().packet->bytes);
  return bytes;
}

TEST(Outbox, OnlyThePutIntoAnEmptyOutboxAsksForTheStrand) {
  Outbox outbox;
  EXPECT_TRUE(outbox.put(packet("a"), false));
  EXPECT_FALSE(outbox.put(packet("b"), false)) << "the strand is on its way already";
  EXPECT_EQ(take_bytes(outbox), (std::vector<std::string>{"4a", "4b"}));
  EXPECT_TRUE(outbox.put(packet("c"), false)) << "taken empty: the next put asks again";
  EXPECT_EQ(take_bytes(outbox), (std::vector<std::string>{"4c"}));
  EXPECT_TRUE(take_bytes(outbox).empty());
}

TEST(Outbox, AGroupStaysTogetherAndKnowsHowManyFollowInIt) {
  Outbox outbox;
  outbox.put(packet("before"), true);
  outbox.put({packet("head"), packet("first attachment"), packet("second attachment")});
  outbox.put(packet("after"), false);
  auto taken = outbox.take();
  ASSERT_TRUE(taken.holds_several());
  std::vector<std::pair<std::string, std::uint32_t>> got;
  std::vector<bool> volatile_flags;
  while (!taken.empty()) {
    auto entry = taken.pop();
    got.emplace_back(entry.packet->bytes, entry.rest_of_group);
    volatile_flags.push_back(entry.is_volatile);
  }
  const std::vector<std::pair<std::string, std::uint32_t>> expected = {{"4before", 0},
                                                                       {"4head", 2},
                                                                       {"4first attachment", 1},
                                                                       {"4second attachment", 0},
                                                                       {"4after", 0}};
  EXPECT_EQ(got, expected);
  EXPECT_EQ(volatile_flags, (std::vector<bool>{true, false, false, false, false}));
}

TEST(Outbox, AnEmptyGroupIsNothing) {
  Outbox outbox;
  EXPECT_FALSE(outbox.put(std::vector<SharedPacket>{}));
  EXPECT_TRUE(outbox.take().empty());
}

TEST(Outbox, WhatNobodyTookIsReleasedWithTheOutbox) {
  auto taken_packet = packet("taken");
  auto left_packet = packet("never taken");
  std::weak_ptr<const engineio::EncodedPacket> taken_watch = taken_packet;
  std::weak_ptr<const engineio::EncodedPacket> left_watch = left_packet;
  bool task_ran = false;
  {
    Outbox outbox;
    outbox.put(std::move(taken_packet), false);
    auto taken = outbox.take();
    outbox.put(std::move(left_packet), false);
    outbox.put([&task_ran] { task_ran = true; });
    EXPECT_FALSE(taken_watch.expired()) << "held by what was taken";
    EXPECT_FALSE(left_watch.expired()) << "held by the outbox";
  }
  EXPECT_TRUE(taken_watch.expired());
  EXPECT_TRUE(left_watch.expired());
  EXPECT_FALSE(task_ran) << "a task nobody took is dropped, not run";
}

TEST(Outbox, TasksKeepTheirPlaceAmongThePackets) {
  Outbox outbox;
  outbox.put(packet("a"), false);
  outbox.put([] {});
  outbox.put(packet("b"), false);
  auto taken = outbox.take();
  EXPECT_EQ(taken.pop().packet->bytes, "4a");
  auto task = taken.pop();
  EXPECT_EQ(task.packet, nullptr);
  EXPECT_TRUE(task.task);
  EXPECT_EQ(taken.pop().packet->bytes, "4b");
  EXPECT_TRUE(taken.empty());
}

// Several threads put at once while one takes: nothing is lost, each thread's packets come out
// in the order it put them, and every put into an empty outbox is followed by a take.
TEST(Outbox, ManyThreadsPutWhileOneTakes) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  Outbox outbox;
  std::atomic<int> asked{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (outbox.put(packet(std::to_string(t) + ":" + std::to_string(i)), false)) ++asked;
      }
    });
  }
  std::vector<int> next(kThreads, 0);
  int received = 0;
  int takes_with_packets = 0;
  auto take_all = [&] {
    auto taken = outbox.take();
    if (!taken.empty()) ++takes_with_packets;
    while (!taken.empty()) {
      const auto bytes = taken.pop().packet->bytes.substr(1);  // without the packet type
      const auto colon = bytes.find(':');
      const int thread = std::stoi(bytes.substr(0, colon));
      const int index = std::stoi(bytes.substr(colon + 1));
      ASSERT_EQ(index, next[thread]) << "thread " << thread << "'s packets out of order";
      ++next[thread];
      ++received;
    }
  };
  while (received < kThreads * kPerThread) {
    take_all();
    if (HasFatalFailure()) break;
  }
  for (auto& producer : producers) producer.join();
  take_all();
  EXPECT_EQ(received, kThreads * kPerThread);
  EXPECT_EQ(asked.load(), takes_with_packets) << "one request for the strand per non-empty take";
}

}  // namespace
