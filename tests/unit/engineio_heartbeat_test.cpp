// The heartbeat scheduler: one timer for every session's beats, each due at its own deadline.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engineio/heartbeat.hpp"
#include "net/executor.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Due {
  std::string name;
  Clock::duration after;  // since the test started
  bool current;           // the generation announced is the beat's live one
};

class Owner final : public engineio::HeartbeatOwner {
 public:
  Owner(engineio::HeartbeatScheduler& scheduler, std::string name, std::vector<Due>& log,
        Clock::time_point start)
      : beat(scheduler, *this), name_(std::move(name)), log_(log), start_(start) {}

  void heartbeat_due(std::uint64_t generation) override {
    log_.push_back({name_, Clock::now() - start_, beat.is_current(generation)});
  }

  engineio::Heartbeat beat;

 private:
  std::string name_;
  std::vector<Due>& log_;
  Clock::time_point start_;
};

class HeartbeatTest : public ::testing::Test {
 protected:
  Owner& owner(const std::string& name) {
    return *owners_.emplace_back(std::make_unique<Owner>(*scheduler_, name, log_, start_));
  }
  void run_for(Clock::duration time) {
    ioc_.restart();
    ioc_.run_for(time);
  }

  net::IoContext ioc_;
  std::shared_ptr<engineio::HeartbeatScheduler> scheduler_ =
      std::make_shared<engineio::HeartbeatScheduler>(ioc_);
  Clock::time_point start_ = Clock::now();
  std::vector<Due> log_;
  std::vector<std::unique_ptr<Owner>> owners_;
};

TEST_F(HeartbeatTest, BeatsOfDifferentDelaysFallDueInDeadlineOrderAndNeverEarly) {
  owner("slow").beat.start(90ms);
  owner("fast").beat.start(30ms);
  owner("middle").beat.start(60ms);
  run_for(200ms);
  ASSERT_EQ(log_.size(), 3u);
  EXPECT_EQ(log_[0].name, "fast");
  EXPECT_GE(log_[0].after, 30ms);
  EXPECT_EQ(log_[1].name, "middle");
  EXPECT_GE(log_[1].after, 60ms);
  EXPECT_EQ(log_[2].name, "slow");
  EXPECT_GE(log_[2].after, 90ms);
  for (const auto& due : log_) EXPECT_TRUE(due.current) << due.name;
}

TEST_F(HeartbeatTest, AStoppedOrRestartedBeatDoesNotFallDueAtItsOldDeadline) {
  owner("stopped").beat.start(20ms);
  owners_.back()->beat.stop();
  auto& restarted = owner("restarted");
  restarted.beat.start(20ms);
  restarted.beat.start(70ms);
  run_for(150ms);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0].name, "restarted");
  EXPECT_GE(log_[0].after, 70ms);
  EXPECT_TRUE(log_[0].current);
}

TEST_F(HeartbeatTest, ABeatStartedAgainAfterFallingDueFallsDueAgain) {
  auto& session = owner("session");
  session.beat.start(20ms);
  run_for(60ms);
  ASSERT_EQ(log_.size(), 1u);
  session.beat.start(20ms);
  run_for(60ms);
  ASSERT_EQ(log_.size(), 2u);
  EXPECT_GE(log_[1].after - log_[0].after, 20ms);
}

}  // namespace
