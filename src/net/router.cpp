#include "net/router.hpp"

namespace net {

void HttpHandler::handle_oversized(HttpRequest&&, HttpExchangePtr exchange) {
  exchange->respond(HttpResponse::json_error(413, "payload_too_large", "request body too large"));
}

Router::Router(std::size_t default_max_body_bytes)
    : default_max_body_bytes_(default_max_body_bytes) {}

void Router::add(std::string prefix, HttpHandler& handler) {
  routes_.push_back({std::move(prefix), &handler});
}

HttpHandler* Router::find(std::string_view path) const {
  for (const auto& route : routes_) {
    std::string_view prefix = route.prefix;
    if (prefix.ends_with('/')) {
      if (path.starts_with(prefix) || path == prefix.substr(0, prefix.size() - 1)) {
        return route.handler;
      }
    } else if (path == prefix) {
      return route.handler;
    }
  }
  return nullptr;
}

void Router::handle(HttpRequest&& request, HttpExchangePtr exchange) {
  if (auto* handler = find(request.path())) {
    handler->handle(std::move(request), std::move(exchange));
    return;
  }
  exchange->respond(HttpResponse::json_error(404, "not_found", "no such resource"));
}

std::size_t Router::max_body_bytes(const HttpRequest& head) const {
  auto* handler = find(head.path());
  return handler ? handler->max_body_bytes(head) : default_max_body_bytes_;
}

void Router::handle_oversized(HttpRequest&& head, HttpExchangePtr exchange) {
  if (auto* handler = find(head.path())) {
    handler->handle_oversized(std::move(head), std::move(exchange));
    return;
  }
  HttpHandler::handle_oversized(std::move(head), std::move(exchange));
}

}  // namespace net
