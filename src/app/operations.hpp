#pragma once
// /healthz (the process answers), /readyz (the database answers, and Redis is connected when it
// is configured) and /metrics (Prometheus text).

#include <boost/asio/thread_pool.hpp>
#include <functional>

#include "net/http_handler.hpp"
#include "store/store.hpp"

namespace app {

struct Gauges {
  std::function<std::size_t()> engineio_sessions;
  std::function<std::size_t()> websockets;
  std::function<std::size_t()> live_sockets;
  // Set when Redis is configured: whether it is connected, and the broadcasts not published.
  std::function<bool()> redis_ready;
  std::function<std::uint64_t()> redis_publish_failures;
};

class OperationsHandler : public net::HttpHandler {
 public:
  OperationsHandler(store::Store& store, boost::asio::thread_pool& workers, Gauges gauges)
      : store_(store), workers_(workers), gauges_(std::move(gauges)) {}

  void handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) override;
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return 0; }

 private:
  store::Store& store_;
  boost::asio::thread_pool& workers_;
  Gauges gauges_;
};

}  // namespace app
