#pragma once
// The REST API under /api: JSON in and out, errors as {"error":{"code","message"}}. Requests
// are answered on the worker pool, since the service blocks. Every response carries the
// request's X-Request-Id, and every request ends in finished(): one access log line.

#include <array>
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "api/observer.hpp"
#include "net/http_handler.hpp"
#include "service/auth_service.hpp"
#include "service/report_service.hpp"
#include "service/user_admin.hpp"

namespace api {

class RestApi : public net::HttpHandler {
 public:
  static constexpr std::size_t kMaxBodyBytes = 64 * 1024;

  // `observer` hears of every answered request.
  RestApi(service::AuthService& auth, service::UserAdmin& users, service::ReportService& reports,
          boost::asio::thread_pool& workers, Observer& observer = Observer::none());

  void handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) override;
  // Requests accepted and not yet answered; shutdown waits for them to reach zero.
  std::size_t in_flight() const { return in_flight_.load(); }
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return kMaxBodyBytes; }
  void handle_oversized(net::HttpRequest&& head, net::HttpExchangePtr exchange) override;

  // The route of a path that fits none of the routing table, in logs (never the path itself,
  // which the client chose).
  static constexpr std::string_view kUnmatchedRoute = "unmatched";

  // A parameter of a path: its name in the pattern (":id", ":user") and its text in the path.
  struct PathId {
    std::string_view name;
    std::string_view text;
  };

 private:
  using Reply = std::function<void(net::HttpResponse)>;
  // What a route's handler gets: the request, the way to answer later, the signed-in user (for
  // routes that need one) and the report or user id of the path (for routes that name one).
  struct Call {
    const net::HttpRequest& request;
    std::string_view request_id;
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

  // The routes whose pattern fits a path: the one for the method, if any, and the methods the
  // pattern has (for 405's Allow).
  struct Match {
    std::string_view pattern;  // empty: no route fits the path
    const Route* chosen = nullptr;
    std::string allowed;
    std::optional<PathId> id;  // the segment in place of ":id" or ":user"
  };
  static Match match(std::string_view path, std::string_view method);

  // What the end of a request needs to know of it.
  struct Trace {
    std::string method;
    std::string_view route;  // a pattern of kRoutes, or kUnmatchedRoute
    std::string request_id;
    std::string remote_address;
    std::chrono::steady_clock::time_point started;
  };
  static std::shared_ptr<const Trace> trace_of(const net::HttpRequest& request,
                                               std::string_view pattern,
                                               std::chrono::steady_clock::time_point started);
  // Sends `response` with the request id, then calls finished() once it is written.
  void answer(const net::HttpExchangePtr& exchange, std::shared_ptr<const Trace> trace,
              net::HttpResponse response);
  // The one place where a request ends (answered or not deliverable): the access log line and
  // the observer. `route` is the pattern, never the raw path.
  void finished(std::string_view method, std::string_view route, unsigned status,
                std::chrono::duration<double, std::milli> duration, std::string_view request_id,
                std::string_view remote_address);

  std::optional<net::HttpResponse> route(const net::HttpRequest& request, const Match& found,
                                         std::string_view request_id, const Reply& reply);

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
  Observer& observer_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace api
