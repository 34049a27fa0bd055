#pragma once
// Sends to many sessions from a thread outside their strands (a broadcast from a worker thread)
// cost one hand-off per session: a handler posted to each session's strand, and for a thread
// outside the io_context a wake-up of an io thread and a cross-thread allocation each. Within a
// HandOffBatch's scope the sessions that such sends hand to their strands wait in the batch
// instead; when the scope ends, the batch posts one handler per group of them, which enters each
// session's strand in turn on the io thread that runs it (at once, when the strand is free).
//
// The packets themselves are in each session's outbox already, in order with the tasks handed
// over by Session::run_in_order (a close among them): a batch only delays the hand-off to the
// end of its scope.
#include <cstddef>
#include <memory>
#include <vector>

namespace engineio {

class Session;

class HandOffBatch {
 public:
  // This thread's batch, unless one is open on it already (the outer one then takes all).
  HandOffBatch();
  HandOffBatch(const HandOffBatch&) = delete;
  HandOffBatch& operator=(const HandOffBatch&) = delete;
  ~HandOffBatch();

  // The batch open on this thread, or nullptr.
  static HandOffBatch* current();

  void add(std::shared_ptr<Session> session);

  // Sessions per posted handler: small enough that several io threads share a large broadcast,
  // large enough that a handler is rare next to the sends it makes.
  static constexpr std::size_t kSessionsPerHandler = 128;

 private:
  void post_group();

  std::vector<std::shared_ptr<Session>> sessions_;
  bool open_ = false;  // false for a nested batch, which leaves everything to the outer one
};

}  // namespace engineio
