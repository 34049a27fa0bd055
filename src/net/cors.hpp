#pragma once
// Cross-origin policy: which browser origins may call us, and whether with credentials.
//
// With no list (or "*") any origin may call, without credentials: every answer says
// `Access-Control-Allow-Origin: *`. That is safe because nothing here rides on cookies (all
// auth is a bearer token a page must hold itself), and it is what a front end on another
// origin needs out of the box. A list narrows it: listed origins are echoed back with
// credentials allowed, others get no CORS headers and cannot open WebSockets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_message.hpp"

namespace net {

class CorsPolicy {
 public:
  // Any origin, without credentials.
  CorsPolicy() = default;
  // Exact origins such as "https://app.example"; an empty list or one holding "*" means any.
  explicit CorsPolicy(std::vector<std::string> allowed_origins);
  // Parses a comma-separated list, as in the CORS_ORIGINS variable.
  static CorsPolicy from_list(std::string_view comma_separated);

  bool allows(std::string_view origin) const;
  // Whether a WebSocket upgrade carrying this Origin header (if any) may proceed. Browsers
  // always send Origin; other clients (Node, native apps) may not and are not refused.
  bool allows_websocket(std::optional<std::string_view> origin) const;
  // Adds the CORS headers that a request from `origin` earns to `response`.
  void decorate(std::optional<std::string_view> origin, HttpResponse& response) const;
  // The answer to a preflight request, or nullopt when `request` is not one.
  std::optional<HttpResponse> preflight(const HttpRequest& request) const;

 private:
  std::vector<std::string> allowed_;
  bool any_ = true;
};

}  // namespace net
