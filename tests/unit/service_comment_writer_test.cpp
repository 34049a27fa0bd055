#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "service/comment_writer.hpp"
#include "service/report_service.hpp"

namespace {

struct RecordingEmitter : service::CommentEmitter {
  void comment_created(const store::Comment& comment) override {
    std::lock_guard lock(mutex);
    ids.push_back(comment.id);
  }
  std::mutex mutex;
  std::vector<std::int64_t> ids;
};

store::Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

class CommentWriterTest : public ::testing::Test {
 protected:
  CommentWriterTest() : store_(store::open_store("sqlite::memory:")) {
    user_ = store_->create_user({"op", "x", "operator", true}, now());
    report_ = store_->create_report({user_.id, "t", "d", {}, {}, {}}, now());
  }
  std::unique_ptr<store::Store> store_;
  store::User user_;
  store::Report report_;
  RecordingEmitter emitter_;
};

}  // namespace

TEST_F(CommentWriterTest, CommitsEveryCommentOnceAndAnnouncesInCommitOrder) {
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::future<service::CommentWriter::Outcome>> outcomes;
  std::mutex outcomes_mutex;
  {
    service::CommentWriter writer(*store_, emitter_);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          auto promise = std::make_shared<std::promise<service::CommentWriter::Outcome>>();
          {
            std::lock_guard lock(outcomes_mutex);
            outcomes.push_back(promise->get_future());
          }
          writer.submit(
              {report_.id, user_.id, "c" + std::to_string(t) + "-" + std::to_string(i)},
              [promise](service::CommentWriter::Outcome o) { promise->set_value(std::move(o)); });
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }  // the writer drains before it stops
  ASSERT_EQ(outcomes.size(), std::size_t{kThreads * kPerThread});
  for (auto& outcome : outcomes) {
    auto value = outcome.get();
    ASSERT_TRUE(std::holds_alternative<store::Comment>(value));
  }
  ASSERT_EQ(emitter_.ids.size(), std::size_t{kThreads * kPerThread});
  for (std::size_t i = 1; i < emitter_.ids.size(); ++i) {
    EXPECT_LT(emitter_.ids[i - 1], emitter_.ids[i]) << "announced out of commit order";
  }
  EXPECT_EQ(store_->list_comments(report_.id, std::nullopt, 100).items.size(), 100u);
}

TEST_F(CommentWriterTest, AMissingReportFailsAloneInItsBatch) {
  std::promise<service::CommentWriter::Outcome> good, bad;
  {
    service::CommentWriter writer(*store_, emitter_);
    writer.submit({report_.id, user_.id, "kept"}, [&](auto o) { good.set_value(std::move(o)); });
    writer.submit({999, user_.id, "lost"}, [&](auto o) { bad.set_value(std::move(o)); });
  }
  auto good_value = good.get_future().get();
  auto bad_value = bad.get_future().get();
  ASSERT_TRUE(std::holds_alternative<store::Comment>(good_value));
  EXPECT_EQ(std::get<store::Comment>(good_value).text, "kept");
  ASSERT_TRUE(std::holds_alternative<service::Error>(bad_value));
  EXPECT_EQ(std::get<service::Error>(bad_value).kind(), service::Error::Kind::not_found);
  EXPECT_EQ(emitter_.ids.size(), 1u);
}

TEST_F(CommentWriterTest, AfterStopASubmissionIsRefusedAtOnce) {
  service::CommentWriter writer(*store_, emitter_);
  writer.stop();
  std::optional<service::CommentWriter::Outcome> outcome;
  writer.submit({report_.id, user_.id, "late"}, [&](auto o) { outcome = std::move(o); });
  ASSERT_TRUE(outcome);
  ASSERT_TRUE(std::holds_alternative<service::Error>(*outcome));
  EXPECT_EQ(std::get<service::Error>(*outcome).kind(), service::Error::Kind::unavailable);
  EXPECT_TRUE(emitter_.ids.empty());
}

TEST_F(CommentWriterTest, AFailingCommentIsRefusedAloneAndTheRestOfItsBatchIsCommitted) {
  std::promise<void> gate;
  auto gate_open = gate.get_future().share();
  std::vector<std::promise<service::CommentWriter::Outcome>> outcomes(3);
  {
    service::CommentWriter writer(*store_, emitter_);
    // The first completion holds the writer thread, so the next three wait in one batch.
    writer.submit({report_.id, user_.id, "first"}, [gate_open](auto) { gate_open.wait(); });
    writer.submit({report_.id, user_.id, "kept 1"},
                  [&](auto o) { outcomes[0].set_value(std::move(o)); });
    writer.submit({report_.id, 424242, "unknown owner"},  // violates the owner foreign key
                  [&](auto o) { outcomes[1].set_value(std::move(o)); });
    writer.submit({report_.id, user_.id, "kept 2"},
                  [&](auto o) { outcomes[2].set_value(std::move(o)); });
    gate.set_value();
  }
  auto kept1 = outcomes[0].get_future().get();
  auto refused = outcomes[1].get_future().get();
  auto kept2 = outcomes[2].get_future().get();
  ASSERT_TRUE(std::holds_alternative<store::Comment>(kept1));
  ASSERT_TRUE(std::holds_alternative<store::Comment>(kept2));
  ASSERT_TRUE(std::holds_alternative<service::Error>(refused));
  EXPECT_LT(std::get<store::Comment>(kept1).id, std::get<store::Comment>(kept2).id);
  EXPECT_EQ(store_->list_comments(report_.id, std::nullopt, 100).items.size(), 3u);
}

namespace {

// Holds the writer thread inside its first announcement until released.
struct GatedEmitter : service::CommentEmitter {
  void comment_created(const store::Comment&) override {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait(lock, [this] { return released; });
  }
  void wait_entered() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [this] { return entered; });
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool released = false;
};

}  // namespace

TEST_F(CommentWriterTest, AFullQueueRefusesAtOnceWithRetryAfter) {
  constexpr std::size_t kMaxWaiting = 3;
  GatedEmitter gate;
  std::vector<std::future<service::CommentWriter::Outcome>> accepted;
  std::promise<service::CommentWriter::Outcome> refused;
  // Outlive the writer, whose last completions run while it stops.
  std::vector<std::promise<service::CommentWriter::Outcome>> promises(kMaxWaiting + 1);
  {
    service::CommentWriter writer(*store_, gate, service::Observer::none(), kMaxWaiting);
    auto submit = [&](std::promise<service::CommentWriter::Outcome>& promise) {
      writer.submit({report_.id, user_.id, "c"}, [&promise](service::CommentWriter::Outcome o) {
        promise.set_value(std::move(o));
      });
    };
    for (auto& promise : promises) accepted.push_back(promise.get_future());
    submit(promises[0]);
    gate.wait_entered();  // the writer is busy with the first comment
    for (std::size_t i = 1; i <= kMaxWaiting; ++i) submit(promises[i]);
    submit(refused);
    auto outcome = refused.get_future().get();
    ASSERT_TRUE(std::holds_alternative<service::Error>(outcome));
    const auto& error = std::get<service::Error>(outcome);
    EXPECT_EQ(error.kind(), service::Error::Kind::unavailable);
    EXPECT_EQ(error.retry_after, std::optional(std::chrono::seconds(1)));
    gate.release();
  }
  for (auto& outcome : accepted) {
    EXPECT_TRUE(std::holds_alternative<store::Comment>(outcome.get()));
  }
}

namespace {

// A store whose comment batches fail as when the database goes away at COMMIT: whether the
// batch was committed is unknown. Everything else is the real store's.
class LostCommitStore : public store::Store {
 public:
  explicit LostCommitStore(store::Store& real) : real_(real) {}

  std::optional<store::User> find_user(std::int64_t id) override { return real_.find_user(id); }
  std::optional<store::User> find_user_by_name(std::string_view name) override {
    return real_.find_user_by_name(name);
  }
  store::User create_user(const store::NewUser& user, store::Timestamp t) override {
    return real_.create_user(user, t);
  }
  std::int64_t count_users() override { return real_.count_users(); }
  store::Page<store::User> list_users(std::optional<std::int64_t> after, int limit) override {
    return real_.list_users(after, limit);
  }
  std::optional<store::User> update_user(std::int64_t id, const store::UserUpdate& u) override {
    return real_.update_user(id, u);
  }
  std::int64_t latest_user_change() override { return real_.latest_user_change(); }
  std::vector<store::UserChange> user_changes_after(std::int64_t after, int limit) override {
    return real_.user_changes_after(after, limit);
  }
  store::Report create_report(const store::NewReport& report, store::Timestamp t) override {
    return real_.create_report(report, t);
  }
  std::optional<store::Report> find_report(std::int64_t id) override {
    return real_.find_report(id);
  }
  store::Page<store::Report> list_reports(const store::ReportQuery& query) override {
    return real_.list_reports(query);
  }
  std::optional<store::Report> update_report_status(std::int64_t id, std::string_view status,
                                                    store::Timestamp t) override {
    return real_.update_report_status(id, status, t);
  }
  std::vector<std::optional<store::Comment>> create_comments(
      const std::vector<store::NewComment>& batch, store::Timestamp t) override {
    batches.push_back(batch.size());
    real_.create_comments(batch, t);  // committed...
    throw store::StoreError(store::StoreError::Kind::unavailable, "connection lost at COMMIT");
  }
  store::Page<store::Comment> list_comments(std::int64_t report_id,
                                            std::optional<std::int64_t> after, int limit) override {
    return real_.list_comments(report_id, after, limit);
  }
  std::optional<store::Comment> find_comment(std::int64_t id) override {
    return real_.find_comment(id);
  }
  std::int64_t latest_comment_id() override { return real_.latest_comment_id(); }
  std::vector<store::Comment> comments_after(const std::vector<std::int64_t>& report_ids,
                                             std::int64_t after, int limit) override {
    return real_.comments_after(report_ids, after, limit);
  }
  void write_recovery_sessions(const std::vector<store::RecoveryWrite>& writes) override {
    real_.write_recovery_sessions(writes);
  }
  std::optional<store::RecoverySession> claim_recovery_session(std::string_view pid,
                                                               std::string_view owner,
                                                               std::string_view node,
                                                               store::Timestamp now,
                                                               store::Timestamp expires) override {
    return real_.claim_recovery_session(pid, owner, node, now, expires);
  }
  std::size_t refresh_recovery_sessions(std::string_view node, store::Timestamp expires,
                                        store::Timestamp now) override {
    return real_.refresh_recovery_sessions(node, expires, now);
  }

  std::vector<std::size_t> batches;  // on the writer thread only

 private:
  store::Store& real_;
};

}  // namespace

TEST_F(CommentWriterTest, ABatchWhoseCommitIsInDoubtIsRefusedWholeAndNeverWrittenAgain) {
  LostCommitStore lossy(*store_);
  std::promise<void> gate;
  auto gate_open = gate.get_future().share();
  std::vector<std::promise<service::CommentWriter::Outcome>> outcomes(3);
  {
    service::CommentWriter writer(lossy, emitter_);
    // The first completion holds the writer thread, so the next three wait in one batch.
    std::promise<void> first_done;
    writer.submit({report_.id, user_.id, "first"}, [&first_done, gate_open](auto) {
      first_done.set_value();
      gate_open.wait();
    });
    first_done.get_future().wait();
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      writer.submit({report_.id, user_.id, "in doubt " + std::to_string(i)},
                    [&outcomes, i](auto o) { outcomes[i].set_value(std::move(o)); });
    }
    gate.set_value();
  }
  for (auto& outcome : outcomes) {
    auto result = outcome.get_future().get();
    ASSERT_TRUE(std::holds_alternative<service::Error>(result)) << "never acknowledged";
    EXPECT_EQ(std::get<service::Error>(result).kind(), service::Error::Kind::unavailable);
  }
  EXPECT_EQ(lossy.batches, (std::vector<std::size_t>{1, 3})) << "no batch is written twice";
  EXPECT_EQ(store_->list_comments(report_.id, std::nullopt, 100).items.size(), 4u)
      << "each comment is stored once: none was written again one by one";
  EXPECT_TRUE(emitter_.ids.empty()) << "nothing unacknowledged is announced";
}
