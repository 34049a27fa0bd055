#include "net/cors.hpp"

#include <algorithm>

namespace net {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins)
    : allowed_(std::move(allowed_origins)),
      any_(allowed_.empty() || std::find(allowed_.begin(), allowed_.end(), "*") != allowed_.end()) {
}

CorsPolicy CorsPolicy::from_list(std::string_view comma_separated) {
  std::vector<std::string> origins;
  while (!comma_separated.empty()) {
    auto comma = comma_separated.find(',');
    auto item = trim(comma_separated.substr(0, comma));
    if (!item.empty()) origins.emplace_back(item);
    comma_separated = comma == std::string_view::npos ? "" : comma_separated.substr(comma + 1);
  }
  return CorsPolicy(std::move(origins));
}

bool CorsPolicy::allows(std::string_view origin) const {
  if (origin.empty()) return false;
  return any_ || std::find(allowed_.begin(), allowed_.end(), origin) != allowed_.end();
}

bool CorsPolicy::allows_websocket(std::optional<std::string_view> origin) const {
  return any_ || !origin || allows(*origin);
}

void CorsPolicy::decorate(std::optional<std::string_view> origin, HttpResponse& response) const {
  if (!origin || !allows(*origin)) return;
  if (any_) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return;
  }
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
  response.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  response.headers.emplace_back("Vary", "Origin");
}

std::optional<HttpResponse> CorsPolicy::preflight(const HttpRequest& request) const {
  if (request.method != "OPTIONS" || !request.header("access-control-request-method")) {
    return std::nullopt;
  }
  HttpResponse response{204, "", {}, "", {}};
  auto origin = request.header("origin");
  if (origin && allows(*origin)) {
    decorate(origin, response);
    response.headers.emplace_back("Access-Control-Allow-Methods",
                                  "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    if (auto requested = request.header("access-control-request-headers")) {
      response.headers.emplace_back("Access-Control-Allow-Headers", std::string(*requested));
    }
    response.headers.emplace_back("Access-Control-Max-Age", "86400");
  }
  return response;
}

}  // namespace net
