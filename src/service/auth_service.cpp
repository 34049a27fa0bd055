#include "service/auth_service.hpp"

#include <algorithm>
#include <array>

#include "auth/password.hpp"
#include "net/log.hpp"
#include "service/clock.hpp"
#include "service/store_call.hpp"

namespace service {
namespace {

using Kind = Error::Kind;

Error unauthorized(const std::string& message) {
  return Error(Kind::unauthorized, "unauthorized", message);
}

}  // namespace

void require_internal(const store::User& user) {
  if (!user.internal) throw Error(Kind::forbidden, "forbidden", "internal users only");
}

AuthService::AuthService(store::Store& store, const auth::JwtVerifier& verifier,
                         const auth::JwtIssuer& issuer, auth::LoginLimiter& limiter,
                         Observer& observer)
    : store_(store), verifier_(verifier), issuer_(issuer), limiter_(limiter), observer_(observer) {}

LoginResult AuthService::login(const std::string& username, const std::string& password,
                               const std::string& address) {
  // Refused before any work: a name that no user can have is neither looked up, nor counted by
  // the limiter, nor logged.
  if (username.size() > kMaxUsernameBytes) {
    observer_.login_attempted(LoginOutcome::invalid_username);
    throw Error(Kind::bad_request, "invalid_username", "username is too long");
  }
  const auto attempt = auth::LoginLimiter::Clock::now();
  if (auto wait = limiter_.refused(username, address, attempt)) {
    Error error(Kind::too_many_requests, "too_many_attempts",
                "too many failed logins; try again later");
    error.retry_after = *wait;
    observer_.login_attempted(LoginOutcome::rate_limited);
    throw error;
  }
  std::optional<store::User> user;
  try {
    user = store_call([&] { return store_.find_user_by_name(username); });
  } catch (const Error&) {
    observer_.login_attempted(LoginOutcome::unavailable);
    throw;
  }
  // A missing user still costs a hash verification, so timing does not reveal which names exist.
  static const std::string decoy = auth::hash_password("decoy password for timing");
  const bool valid = auth::verify_password(password, user ? user->password_hash : decoy);
  if (!user || !valid || !user->active) {
    observer_.login_attempted(!user || !valid ? LoginOutcome::bad_credentials
                                              : LoginOutcome::inactive);
    limiter_.record_failure(username, address, attempt);
    net::log_event(net::LogLevel::info, "login_failed",
                   {{"username", username}, {"remote", address}});
    throw unauthorized("invalid username or password");
  }
  limiter_.record_success(username, address);
  observer_.login_attempted(LoginOutcome::success);
  net::log_event(net::LogLevel::info, "login",
                 {{"user_id", std::to_string(user->id)}, {"remote", address}});
  return {issuer_.issue(user->id, user->role, user->internal, std::chrono::system_clock::now()),
          std::move(*user)};
}

Principal AuthService::authenticate(std::string_view token) {
  if (token.empty()) throw unauthorized("missing bearer token");
  auto verified = verifier_.verify(token, std::chrono::system_clock::now());
  if (!verified) throw unauthorized("invalid token: " + verified.error().message());
  const auto& claims = *verified;
  auto user = store_call([&] { return store_.find_user(claims.user_id); });
  if (!user || !user->active) throw unauthorized("unknown or inactive user");
  return {std::move(*user), claims.expires_at};
}

Principal AuthService::authenticate_internal(std::string_view token) {
  auto principal = authenticate(token);
  require_internal(principal.user);
  return principal;
}

store::User AuthService::check_still_internal(std::int64_t user_id) {
  auto user = store_call([&] { return store_.find_user(user_id); });
  if (!user || !user->active) throw unauthorized("unknown or inactive user");
  require_internal(*user);
  return std::move(*user);
}

std::int64_t AuthService::latest_user_change() {
  return store_call([&] { return store_.latest_user_change(); });
}

std::vector<store::UserChange> AuthService::user_changes_after(std::int64_t seq) {
  return store_call([&] { return store_.user_changes_after(seq, 1000); });
}

}  // namespace service
