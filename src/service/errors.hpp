#pragma once
// The ways a service call can fail, in terms a client can act on: the one exception type that
// reaches the REST edge (the API's own refusals use it too). The API layer maps the kind to an
// HTTP status and the live channel to an ack error; `code` and `message` travel as they are.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace service {

class Error : public std::runtime_error {
 public:
  enum class Kind {
    bad_request,             // 400
    unauthorized,            // 401
    forbidden,               // 403
    not_found,               // 404
    conflict,                // 409
    unsupported_media_type,  // 415
    too_many_requests,       // 429
    unavailable,             // 503
  };

  Error(Kind kind, std::string code, const std::string& message)
      : std::runtime_error(message), kind_(kind), code_(std::move(code)) {}

  Kind kind() const { return kind_; }
  const std::string& code() const { return code_; }
  std::optional<std::chrono::seconds> retry_after;

 private:
  Kind kind_;
  std::string code_;
};

}  // namespace service
