#pragma once
// /healthz (the process answers), /readyz (the database answers, and Redis is connected when it
// is configured) and /metrics (Prometheus text, see metrics.hpp).

#include <boost/asio/thread_pool.hpp>

#include "app/metrics.hpp"
#include "net/http_handler.hpp"
#include "store/store.hpp"

namespace app {

class OperationsHandler : public net::HttpHandler {
 public:
  OperationsHandler(store::Store& store, boost::asio::thread_pool& workers, Gauges gauges,
                    const Metrics& metrics)
      : store_(store), workers_(workers), gauges_(std::move(gauges)), metrics_(metrics) {}

  void handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) override;
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return 0; }

 private:
  store::Store& store_;
  boost::asio::thread_pool& workers_;
  Gauges gauges_;
  const Metrics& metrics_;
};

}  // namespace app
