#pragma once
// Group commit for comments: one thread takes every comment waiting when the previous commit
// finished and writes them in one transaction, so a burst costs one disk sync instead of one
// per comment. Then, in commit order, it announces each comment and calls its completion.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <variant>

#include "service/errors.hpp"
#include "service/observer.hpp"
#include "store/store.hpp"

namespace service {

class CommentEmitter;

class CommentWriter {
 public:
  using Outcome = std::variant<store::Comment, Error>;
  using Done = std::function<void(Outcome)>;

  static constexpr std::size_t kMaxBatch = 256;
  // Comments that may wait for the writer at once; more are refused at once (unavailable, with
  // a retry_after), so that a database slower than the clients cannot grow memory without end.
  static constexpr std::size_t kDefaultMaxWaiting = 4096;

  // `observer` hears of every transaction that committed.
  CommentWriter(store::Store& store, CommentEmitter& emitter, Observer& observer = Observer::none(),
                std::size_t max_waiting = kDefaultMaxWaiting);
  // Writes what is still waiting, then stops.
  ~CommentWriter();
  // The same, earlier: once this returns, no completion runs any more. Idempotent.
  void stop();
  CommentWriter(const CommentWriter&) = delete;
  CommentWriter& operator=(const CommentWriter&) = delete;

  // Thread-safe and non-blocking; `done` runs on the writer thread once the comment is
  // committed and announced (or refused).
  void submit(store::NewComment comment, Done done);

 private:
  struct Pending {
    store::NewComment comment;
    Done done;
  };

  void run();
  void write(std::vector<Pending>& batch);
  static void complete(Pending& pending, Outcome outcome);

  store::Store& store_;
  CommentEmitter& emitter_;
  Observer& observer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> waiting_;
  const std::size_t max_waiting_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace service
