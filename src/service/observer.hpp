#pragma once
// What the application may want to count about the services (for metrics): how logins end, and
// the group commits of comments. Called on the worker pool and on the comment writer's thread,
// so an implementation must be thread-safe. The defaults do nothing.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace service {

// How a login attempt ended.
enum class LoginOutcome : std::uint8_t {
  success,
  bad_credentials,   // no such user, or a wrong password
  inactive,          // the right password of a deactivated user (refused like bad_credentials)
  rate_limited,      // refused by the login limiter before any check
  invalid_username,  // a name no user can have (too long), refused before any work
  unavailable,       // the store did not answer
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void login_attempted(LoginOutcome) {}
  // One transaction of the comment writer committed: `batch` comments were written in it, of
  // which `committed` were stored (the others named no report), in `took`.
  virtual void comments_committed(std::size_t /*batch*/, std::size_t /*committed*/,
                                  std::chrono::steady_clock::duration /*took*/) {}

  // The observer of a service that was given none.
  static Observer& none() {
    static Observer nothing;
    return nothing;
  }
};

}  // namespace service
