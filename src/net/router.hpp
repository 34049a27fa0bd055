#pragma once
// Dispatches requests by path to the handler registered for it; anything else gets 404.

#include <string>
#include <vector>

#include "net/http_handler.hpp"

namespace net {

class Router : public HttpHandler {
 public:
  explicit Router(std::size_t default_max_body_bytes = 1024 * 1024);

  // `prefix` ending in '/' matches every path below it and the path without the slash;
  // otherwise it matches that exact path. The first match in registration order wins.
  void add(std::string prefix, HttpHandler& handler);

  void handle(HttpRequest&& request, HttpExchangePtr exchange) override;
  std::size_t max_body_bytes(const HttpRequest& head) const override;
  void handle_oversized(HttpRequest&& head, HttpExchangePtr exchange) override;

 private:
  HttpHandler* find(std::string_view path) const;

  struct Route {
    std::string prefix;
    HttpHandler* handler;
  };
  std::vector<Route> routes_;
  std::size_t default_max_body_bytes_;
};

}  // namespace net
