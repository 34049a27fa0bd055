#include "service/comment_writer.hpp"

#include <algorithm>

#include "net/log.hpp"
#include "service/report_service.hpp"

namespace service {

CommentWriter::CommentWriter(store::Store& store, CommentEmitter& emitter, Observer& observer,
                             std::size_t max_waiting)
    : store_(store),
      emitter_(emitter),
      observer_(observer),
      max_waiting_(max_waiting),
      thread_([this] { run(); }) {}

CommentWriter::~CommentWriter() {
  stop();
}

void CommentWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CommentWriter::submit(store::NewComment comment, Done done) {
  Pending pending{std::move(comment), std::move(done)};
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    full = waiting_.size() >= max_waiting_;
    if (!stopping_ && !full) {
      waiting_.push_back(std::move(pending));
      wake_.notify_one();
      return;
    }
  }
  if (!full) {
    complete(pending, Error(Error::Kind::unavailable, "unavailable", "shutting down"));
    return;
  }
  Error busy(Error::Kind::unavailable, "busy", "too many comments waiting to be saved; try again");
  busy.retry_after = std::chrono::seconds(1);
  complete(pending, std::move(busy));
}

void CommentWriter::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and nothing left to write
      while (!waiting_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
    }
    write(batch);
    batch.clear();
  }
}

// A completion that throws must not take the writer thread (and every later comment) with it.
void CommentWriter::complete(Pending& pending, Outcome outcome) {
  try {
    pending.done(std::move(outcome));
  } catch (const std::exception& e) {
    net::log_event(net::LogLevel::error, "comment_completion_failed", {{"error", e.what()}});
  } catch (...) {
    net::log_event(net::LogLevel::error, "comment_completion_failed", {{"error", "unknown"}});
  }
}

void CommentWriter::write(std::vector<Pending>& batch) {
  std::vector<std::optional<store::Comment>> created;
  std::chrono::steady_clock::duration took{};
  try {
    std::vector<store::NewComment> comments;
    comments.reserve(batch.size());
    for (const auto& pending : batch) comments.push_back(pending.comment);
    const auto started = std::chrono::steady_clock::now();
    created = store_.create_comments(
        comments,
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    took = std::chrono::steady_clock::now() - started;
  } catch (...) {
    std::string reason = "unknown";
    bool outcome_unknown = true;
    try {
      throw;
    } catch (const store::StoreError& e) {
      reason = e.what();
      outcome_unknown = e.kind() == store::StoreError::Kind::unavailable;
    } catch (const std::exception& e) {
      reason = e.what();
    } catch (...) {
    }
    net::log_event(net::LogLevel::error, "comment_batch_failed",
                   {{"size", std::to_string(batch.size())}, {"error", reason}});
    // The database refused one comment (nothing of the batch was committed): one bad comment
    // must not take the others with it, so they are written one by one and only it is refused.
    // When the database went away instead, the batch may have been committed just before (a
    // lost answer to COMMIT): writing it again could store every comment twice, so all of it
    // is refused, unacknowledged, and the clients decide whether to try again.
    if (batch.size() > 1 && !outcome_unknown) {
      for (auto& pending : batch) {
        std::vector<Pending> single;
        single.push_back(std::move(pending));
        write(single);
      }
      return;
    }
    for (auto& pending : batch) {
      complete(pending, Error(Error::Kind::unavailable, "unavailable", "storage unavailable"));
    }
    return;
  }
  // Told outside the try: nothing the observer does may pass for a failed commit.
  observer_.comments_committed(
      batch.size(),
      static_cast<std::size_t>(std::count_if(
          created.begin(), created.end(), [](const auto& comment) { return comment.has_value(); })),
      took);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!created[i]) {
      complete(batch[i], Error(Error::Kind::not_found, "report_not_found", "no such report"));
      continue;
    }
    const auto& comment = *created[i];
    net::log_event(net::LogLevel::info, "comment_created",
                   {{"comment_id", std::to_string(comment.id)},
                    {"report_id", std::to_string(comment.report_id)},
                    {"user_id", std::to_string(comment.owner_id)}});
    try {
      emitter_.comment_created(comment);
    } catch (const std::exception& e) {
      net::log_event(net::LogLevel::error, "comment_announce_failed",
                     {{"comment_id", std::to_string(comment.id)}, {"error", e.what()}});
    }
    complete(batch[i], comment);
  }
}

}  // namespace service
