#pragma once
// The REST API under /api: JSON in and out, errors as {"error":{"code","message"}}. Requests
// are answered on the worker pool, since the service blocks.

#include <array>
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <optional>
#include <string_view>

#include "net/http_handler.hpp"
#include "service/auth_service.hpp"
#include "service/report_service.hpp"
#include "service/user_admin.hpp"

namespace api {

class RestApi : public net::HttpHandler {
 public:
  static constexpr std::size_t kMaxBodyBytes = 64 * 1024;

  RestApi(service::AuthService& auth, service::UserAdmin& users, service::ReportService& reports,
          boost::asio::thread_pool& workers);

  void handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) override;
  // Requests accepted and not yet answered; shutdown waits for them to reach zero.
  std::size_t in_flight() const { return in_flight_.load(); }
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return kMaxBodyBytes; }

 private:
  using Reply = std::function<void(net::HttpResponse)>;
  // What a route's handler gets: the request, the way to answer later, the signed-in user (for
  // routes that need one) and the report or user id of the path (for routes that name one).
  struct Call {
    const net::HttpRequest& request;
    const Reply& reply;
    store::User user;
    std::int64_t report_id = 0;
    std::int64_t account_id = 0;  // the user a /api/users/:user route is about
  };
  // Answers at once (the returned response), or later through call.reply (nullopt returned).
  using Handler = std::optional<net::HttpResponse> (RestApi::*)(const Call& call);
  struct Route {
    std::string_view pattern;
    std::string_view method;
    bool signed_in;
    Handler handler;
  };
  static const std::array<Route, 12> kRoutes;

  std::optional<net::HttpResponse> route(const net::HttpRequest& request, const Reply& reply);

  std::optional<net::HttpResponse> login(const Call& call);
  std::optional<net::HttpResponse> me(const Call& call);
  std::optional<net::HttpResponse> list_reports(const Call& call);
  std::optional<net::HttpResponse> create_report(const Call& call);
  std::optional<net::HttpResponse> get_report(const Call& call);
  std::optional<net::HttpResponse> update_report(const Call& call);
  std::optional<net::HttpResponse> list_comments(const Call& call);
  std::optional<net::HttpResponse> create_comment(const Call& call);
  std::optional<net::HttpResponse> openapi(const Call& call);
  // user_routes.cpp
  std::optional<net::HttpResponse> list_users(const Call& call);
  std::optional<net::HttpResponse> create_user(const Call& call);
  std::optional<net::HttpResponse> update_user(const Call& call);

  service::AuthService& auth_;
  service::UserAdmin& users_;
  service::ReportService& reports_;
  boost::asio::thread_pool& workers_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace api
