#pragma once
// The REST API under /api: JSON in and out, errors as {"error":{"code","message"}}. Requests
// are answered on the worker pool, since the service blocks.

#include <array>
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <optional>
#include <string_view>

#include "api/observer.hpp"
#include "net/http_handler.hpp"
#include "service/auth_service.hpp"
#include "service/report_service.hpp"

namespace api {

class RestApi : public net::HttpHandler {
 public:
  static constexpr std::size_t kMaxBodyBytes = 64 * 1024;

  // `observer` hears of every answered request.
  RestApi(service::AuthService& auth, service::ReportService& reports,
          boost::asio::thread_pool& workers, Observer& observer = Observer::none());

  void handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) override;
  // Requests accepted and not yet answered; shutdown waits for them to reach zero.
  std::size_t in_flight() const { return in_flight_.load(); }
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return kMaxBodyBytes; }

 private:
  using Reply = std::function<void(net::HttpResponse)>;
  // What a route's handler gets: the request, the way to answer later, the signed-in user (for
  // routes that need one) and the report id of the path (for routes that name one).
  struct Call {
    const net::HttpRequest& request;
    const Reply& reply;
    store::User user;
    std::int64_t report_id = 0;
  };
  // Answers at once (the returned response), or later through call.reply (nullopt returned).
  using Handler = std::optional<net::HttpResponse> (RestApi::*)(const Call& call);
  struct Route {
    std::string_view pattern;
    std::string_view method;
    bool signed_in;
    Handler handler;
  };
  static const std::array<Route, 8> kRoutes;
  // What the routing table says of a request's path and method. The views point into the
  // request and the table.
  struct Match {
    const Route* route = nullptr;  // null: no route for this path (404) or method (405)
    std::string_view pattern;      // the pattern that fits the path; empty when none does
    std::string allowed;           // the methods of the routes that fit the path, for Allow
    std::optional<std::string_view> id_text;
  };
  static Match match_route(const net::HttpRequest& request);

  std::optional<net::HttpResponse> route(const Match& match, const net::HttpRequest& request,
                                         const Reply& reply);

  std::optional<net::HttpResponse> login(const Call& call);
  std::optional<net::HttpResponse> me(const Call& call);
  std::optional<net::HttpResponse> list_reports(const Call& call);
  std::optional<net::HttpResponse> create_report(const Call& call);
  std::optional<net::HttpResponse> get_report(const Call& call);
  std::optional<net::HttpResponse> update_report(const Call& call);
  std::optional<net::HttpResponse> list_comments(const Call& call);
  std::optional<net::HttpResponse> create_comment(const Call& call);

  service::AuthService& auth_;
  service::ReportService& reports_;
  boost::asio::thread_pool& workers_;
  Observer& observer_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace api
