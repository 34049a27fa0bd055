#pragma once
// Users and their access: login (with its limiter), bearer tokens, whether a user may still use
// the live channel, the feed of access changes, and user administration. Blocking (it calls the
// store and hashes passwords): call it from the worker pool.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/login_limiter.hpp"
#include "service/errors.hpp"
#include "service/observer.hpp"
#include "store/store.hpp"

namespace service {

// Who a request or a live connection acts for: the user as stored now, and until when the
// token that proved it is good.
struct Principal {
  store::User user;
  std::chrono::sys_seconds expires_at{};
};

struct LoginResult {
  std::string token;
  store::User user;
};

class AuthService {
 public:
  // `observer` hears how each login ends.
  AuthService(store::Store& store, const auth::JwtVerifier& verifier, const auth::JwtIssuer& issuer,
              auth::LoginLimiter& limiter, Observer& observer = Observer::none());

  LoginResult login(const std::string& username, const std::string& password,
                    const std::string& address);
  // The user behind a bearer token: valid token, existing and active user.
  Principal authenticate(std::string_view token);
  // Like authenticate, and the user must be internal staff.
  Principal authenticate_internal(std::string_view token);

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
  store::Store& store_;
  const auth::JwtVerifier& verifier_;
  const auth::JwtIssuer& issuer_;
  auth::LoginLimiter& limiter_;
  Observer& observer_;
};

// Throws Error(forbidden) unless the user is internal staff.
void require_internal(const store::User& user);

// The roles a user can have: citizen, operator, admin.
bool is_valid_role(std::string_view role);

// Longer usernames are refused at creation and at login, before any other work.
inline constexpr std::size_t kMaxUsernameBytes = 64;

}  // namespace service
