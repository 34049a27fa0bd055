#pragma once
// Cross-origin policy: which browser origins may call us, with credentials.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_message.hpp"

namespace net {

class CorsPolicy {
 public:
  // Exact origins such as "https://app.example"; "*" allows any origin (still echoed back,
  // because browsers refuse a literal "*" together with credentials).
  CorsPolicy() = default;
  explicit CorsPolicy(std::vector<std::string> allowed_origins);
  // Parses a comma-separated list, as in the CORS_ORIGINS variable.
  static CorsPolicy from_list(std::string_view comma_separated);

  bool allows(std::string_view origin) const;
  // Adds the CORS headers that a request from `origin` earns to `response`.
  void decorate(std::optional<std::string_view> origin, HttpResponse& response) const;
  // The answer to a preflight request, or nullopt when `request` is not one.
  std::optional<HttpResponse> preflight(const HttpRequest& request) const;

 private:
  std::vector<std::string> allowed_;
  bool any_ = false;
};

}  // namespace net
