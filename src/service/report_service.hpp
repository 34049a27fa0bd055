#pragma once
// The domain: who may do what with reports and internal comments. Blocking (it calls the store
// and hashes passwords): call it from the worker pool. Knows nothing of HTTP or Socket.IO; new
// comments are announced through CommentEmitter once committed.

#include <boost/json/value.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "auth/login_limiter.hpp"
#include "service/comment_writer.hpp"
#include "service/errors.hpp"
#include "service/known_reports.hpp"
#include "store/store.hpp"

namespace service {

class CommentEmitter {
 public:
  virtual ~CommentEmitter() = default;
  // Called once per committed comment, in commit order.
  virtual void comment_created(const store::Comment& comment) = 0;
};

struct Session {
  store::User user;
  std::chrono::sys_seconds expires_at{};
};

struct LoginResult {
  std::string token;
  store::User user;
};

struct ReportInput {
  std::string title;
  std::string description;
  std::optional<std::string> category;
  std::optional<double> latitude;
  std::optional<double> longitude;
};

struct Limits {
  std::size_t max_comment_chars = 2000;
  std::size_t max_title_chars = 200;
  std::size_t max_description_chars = 5000;
  std::size_t max_category_chars = 100;
};

class ReportService {
 public:
  using Clock = std::chrono::system_clock;

  ReportService(store::Store& store, CommentEmitter& emitter, const auth::JwtVerifier& verifier,
                const auth::JwtIssuer& issuer, auth::LoginLimiter& limiter, Limits limits = {});

  LoginResult login(const std::string& username, const std::string& password,
                    const std::string& address);
  // The user behind a bearer token: valid token, existing and active user.
  Session authenticate(std::string_view token);
  // Like authenticate, and the user must be internal staff.
  Session authenticate_internal(std::string_view token);

  store::Report create_report(const store::User& user, ReportInput input);
  store::Report get_report(const store::User& user, std::int64_t id);
  store::Page<store::Report> list_reports(const store::User& user,
                                          std::optional<std::string> status,
                                          std::optional<std::int64_t> after, int limit);
  store::Report update_status(const store::User& user, std::int64_t id, const std::string& status);
  // Whether an internal user may follow this report live (it exists).
  void check_report_exists(std::int64_t id);

  // Checks the request here (throws Error), then hands it to the group-commit writer; `done`
  // runs once the comment is committed and announced, or refused.
  void create_comment_async(const store::User& user, std::int64_t report_id,
                            const std::string& text, CommentWriter::Done done);
  store::Page<store::Comment> list_comments(const store::User& user, std::int64_t report_id,
                                            std::optional<std::int64_t> after, int limit);

  // Writes the comments still waiting and stops the writer; call before whatever the
  // completions use goes away.
  void stop_comment_writer() { writer_.stop(); }

  // Whether the user still may use the live channel: exists, active and internal. Throws
  // Error(unauthorized) or Error(forbidden) otherwise.
  void check_still_internal(std::int64_t user_id);
  // Turns a user's access on or off (the CLI's user activate / deactivate). Every node ends the
  // live connections of a deactivated user within a second, through the user-change feed.
  store::User set_user_active(const std::string& username, bool active);
  // The feed of changes to users' access: the newest seq, and the changes after a seq.
  std::int64_t latest_user_change();
  std::vector<store::UserChange> user_changes_after(std::int64_t seq);

  // Creates a user; for the CLI and the demo data.
  store::User add_user(const std::string& username, const std::string& password,
                       const std::string& role, bool internal);

 private:
  store::Timestamp now() const;

  store::Store& store_;
  const auth::JwtVerifier& verifier_;
  const auth::JwtIssuer& issuer_;
  auth::LoginLimiter& limiter_;
  Limits limits_;
  KnownReports known_reports_;
  // Commits comments in groups and announces them in commit order, on its own thread.
  CommentWriter writer_;
};

bool is_valid_status(std::string_view status);
// The roles a user can have: citizen, operator, admin.
bool is_valid_role(std::string_view role);

// Longer usernames are refused at creation and at login, before any other work.
inline constexpr std::size_t kMaxUsernameBytes = 64;

}  // namespace service
