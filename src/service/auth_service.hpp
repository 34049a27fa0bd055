#pragma once
// Users and their access: login (with its limiter), bearer tokens, whether a user may still use
// the live channel, and the feed of access changes (user administration is UserAdmin's). Blocking
// (it calls the store and hashes passwords): call it from the worker pool.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/login_limiter.hpp"
#include "service/errors.hpp"
#include "service/observer.hpp"
#include "service/user_admin.hpp"
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

  // The user as stored now, if they still may use the live channel: exists, active and
  // internal. Throws Error(unauthorized) or Error(forbidden) otherwise.
  store::User check_still_internal(std::int64_t user_id);
  // The feed of changes to users' access: the newest seq, and the changes after a seq.
  std::int64_t latest_user_change();
  std::vector<store::UserChange> user_changes_after(std::int64_t seq);

 private:
  store::Store& store_;
  const auth::JwtVerifier& verifier_;
  const auth::JwtIssuer& issuer_;
  auth::LoginLimiter& limiter_;
  Observer& observer_;
};

// Throws Error(forbidden) unless the user is internal staff.
void require_internal(const store::User& user);

}  // namespace service
