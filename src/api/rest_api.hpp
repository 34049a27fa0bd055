#pragma once
// The REST API under /api: JSON in and out, errors as {"error":{"code","message"}}. Requests
// are answered on the worker pool, since the service blocks.

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <optional>

#include "net/http_handler.hpp"
#include "service/report_service.hpp"

namespace api {

class RestApi : public net::HttpHandler {
 public:
  static constexpr std::size_t kMaxBodyBytes = 64 * 1024;

  RestApi(service::ReportService& service, boost::asio::thread_pool& workers);

  void handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) override;
  // Requests accepted and not yet answered; shutdown waits for them to reach zero.
  std::size_t in_flight() const { return in_flight_.load(); }
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return kMaxBodyBytes; }

 private:
  using Reply = std::function<void(net::HttpResponse)>;
  // Answers at once (the returned response), or later through `reply` (nullopt returned).
  std::optional<net::HttpResponse> route(const net::HttpRequest& request, const Reply& reply);

  service::ReportService& service_;
  boost::asio::thread_pool& workers_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace api
