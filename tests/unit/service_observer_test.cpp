// What the services tell their observer: how each login ends, and each group commit.

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/login_limiter.hpp"
#include "service/auth_service.hpp"
#include "service/comment_writer.hpp"
#include "service/observer.hpp"
#include "service/report_service.hpp"

namespace {

using service::LoginOutcome;

struct RecordingObserver : service::Observer {
  void login_attempted(LoginOutcome outcome) override {
    std::lock_guard lock(mutex);
    logins.push_back(outcome);
  }
  void comments_committed(std::size_t batch, std::size_t committed,
                          std::chrono::steady_clock::duration took) override {
    std::lock_guard lock(mutex);
    batches.push_back(batch);
    total_committed += committed;
    EXPECT_GE(took.count(), 0);
  }
  std::mutex mutex;
  std::vector<LoginOutcome> logins;
  std::vector<std::size_t> batches;
  std::size_t total_committed = 0;
};

struct NoEmitter : service::CommentEmitter {
  void comment_created(const store::Comment&) override {}
};

store::Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

auth::JwtConfig jwt_config() {
  auth::JwtConfig config;
  config.hs256_secret = std::string(32, 's');
  return config;
}

class ServiceObserverTest : public ::testing::Test {
 protected:
  ServiceObserverTest()
      : store_(store::open_store("sqlite::memory:")),
        jwt_(jwt_config()),
        verifier_(jwt_),
        issuer_(jwt_),
        limiter_(auth::LoginLimits{.max_failures_per_pair = 2}),
        auth_(*store_, verifier_, issuer_, limiter_, observer_) {}

  std::unique_ptr<store::Store> store_;
  auth::JwtConfig jwt_;
  auth::JwtVerifier verifier_;
  auth::JwtIssuer issuer_;
  auth::LoginLimiter limiter_;
  RecordingObserver observer_;
  service::AuthService auth_;
};

// Runs a login, which may throw: only what the observer heard matters here.
void try_login(service::AuthService& auth, const std::string& user, const std::string& password,
               const std::string& address = "192.0.2.1") {
  try {
    auth.login(user, password, address);
  } catch (const service::Error&) {
  }
}

TEST_F(ServiceObserverTest, EachLoginEndsWithOneOutcome) {
  service::UserAdmin users(*store_);
  users.add_user({"anna", "right password", "operator", true});
  users.add_user({"bruno", "right password", "operator", true});
  service::AccountChanges deactivate;
  deactivate.active = false;
  users.change_user("bruno", deactivate);

  try_login(auth_, "anna", "right password");
  try_login(auth_, "nobody", "whatever", "192.0.2.2");
  try_login(auth_, "bruno", "right password", "192.0.2.3");
  try_login(auth_, std::string(service::kMaxUsernameBytes + 1, 'x'), "whatever");
  try_login(auth_, "anna", "wrong", "192.0.2.4");
  try_login(auth_, "anna", "wrong", "192.0.2.4");
  try_login(auth_, "anna", "right password", "192.0.2.4");  // locked out after 2 failures

  EXPECT_EQ(observer_.logins,
            (std::vector<LoginOutcome>{LoginOutcome::success, LoginOutcome::bad_credentials,
                                       LoginOutcome::inactive, LoginOutcome::invalid_username,
                                       LoginOutcome::bad_credentials, LoginOutcome::bad_credentials,
                                       LoginOutcome::rate_limited}));
}

TEST_F(ServiceObserverTest, EveryCommittedCommentIsCountedInTheBatchThatWroteIt) {
  auto user = store_->create_user({"op", "x", "operator", true}, now());
  auto report = store_->create_report({user.id, "t", "d", {}, {}, {}}, now());
  NoEmitter emitter;
  constexpr int kComments = 50;
  std::vector<std::future<void>> done;
  {
    service::CommentWriter writer(*store_, emitter, observer_);
    for (int i = 0; i < kComments; ++i) {
      auto promise = std::make_shared<std::promise<void>>();
      done.push_back(promise->get_future());
      writer.submit({report.id, user.id, "c" + std::to_string(i)},
                    [promise](service::CommentWriter::Outcome) { promise->set_value(); });
    }
    // One more for a report that does not exist: written in a batch, but not committed.
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    writer.submit({report.id + 1000, user.id, "lost"},
                  [promise](service::CommentWriter::Outcome) { promise->set_value(); });
  }
  for (auto& d : done) d.get();

  std::size_t written = 0;
  for (auto batch : observer_.batches) {
    EXPECT_GE(batch, 1u);
    EXPECT_LE(batch, service::CommentWriter::kMaxBatch);
    written += batch;
  }
  EXPECT_EQ(written, kComments + 1u);
  EXPECT_EQ(observer_.total_committed, std::size_t{kComments});
}

}  // namespace
