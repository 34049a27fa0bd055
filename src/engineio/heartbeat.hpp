#pragma once
// The server's side of the Engine.IO v4 heartbeat: a ping every ping interval, and the session
// ends when no pong follows within the ping timeout. A Heartbeat is one session's next beat and
// what it is waiting for; the session decides what a beat does.
//
// Every session's beats share one HeartbeatScheduler (one per server) with one timer, instead of
// one steady_timer and one pending wait per session: an idle connection then costs a queue entry
// (16 bytes) where it cost a timer (120 bytes), a wait operation (~160 bytes) and its heap block.
// A beat is due exactly at its deadline, as with a timer of its own. Beats of one delay fall due
// in the order they were scheduled, so each delay has a FIFO queue, sorted by deadline for free.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "net/executor.hpp"

namespace engineio {

class Heartbeat;

// Implemented by the owner of a Heartbeat (the session).
class HeartbeatOwner {
 public:
  // Called under the scheduler's lock, on any thread, when the beat `generation` is due: hand it
  // over to the owner's strand (and check there that the generation is still current). It must
  // not call back into the scheduler. The lock also guarantees that the owner is not destroyed
  // before this returns.
  virtual void heartbeat_due(std::uint64_t generation) = 0;

 protected:
  ~HeartbeatOwner() = default;
};

class HeartbeatScheduler : public std::enable_shared_from_this<HeartbeatScheduler> {
 public:
  explicit HeartbeatScheduler(net::IoContext& ioc) : timer_(ioc) {}

 private:
  friend class Heartbeat;
  using Clock = std::chrono::steady_clock;
  struct Entry {
    Clock::time_point deadline;
    Heartbeat* beat;  // null once the beat was stopped or started again
  };
  using Queue = std::deque<Entry>;

  void schedule(Heartbeat& beat, std::chrono::milliseconds delay);
  void unschedule(Heartbeat& beat);
  void unschedule_locked(Heartbeat& beat);
  // Makes the timer wait for `deadline` (earlier than what it waits for now, if anything).
  void arm(Clock::time_point deadline);
  void on_timer();

  std::mutex mutex_;
  boost::asio::steady_timer timer_;
  Clock::time_point armed_for_ = Clock::time_point::max();  // the timer's deadline, if waiting
  std::map<std::chrono::milliseconds, Queue> queues_;       // by delay
};

class Heartbeat {
 public:
  // Holds the scheduler weakly: a session may outlive its server (a handler still queued when
  // the io_context is destroyed), and then there is no beat left to stop.
  Heartbeat(HeartbeatScheduler& scheduler, HeartbeatOwner& owner)
      : scheduler_(scheduler.weak_from_this()), owner_(owner) {}
  ~Heartbeat() { stop(); }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // On the owner's strand. The owner hears heartbeat_due() after `delay`, unless started again
  // or stopped first. Forgets any pong it was waiting for.
  void start(std::chrono::milliseconds delay) {
    awaiting_pong_ = false;
    if (auto scheduler = scheduler_.lock()) scheduler->schedule(*this, delay);
  }
  // On the owner's strand (or in its destructor).
  void stop() {
    if (auto scheduler = scheduler_.lock()) scheduler->unschedule(*this);
  }
  // On the owner's strand: whether the beat heartbeat_due() announced is still the live one (a
  // beat handed over just before a start() or stop() is stale).
  bool is_current(std::uint64_t generation) const { return generation == generation_; }

  // A ping went out: the next beat is due at the ping timeout, and a pong must come first.
  void expect_pong() { awaiting_pong_ = true; }
  bool awaiting_pong() const { return awaiting_pong_; }

 private:
  friend class HeartbeatScheduler;

  std::weak_ptr<HeartbeatScheduler> scheduler_;
  HeartbeatOwner& owner_;
  // Changed only under the scheduler's lock, and only from the owner's strand.
  HeartbeatScheduler::Queue* queue_ = nullptr;  // where the pending beat is, if any
  std::chrono::steady_clock::time_point deadline_;
  std::uint64_t generation_ = 0;
  bool awaiting_pong_ = false;
};

}  // namespace engineio
