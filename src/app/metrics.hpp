#pragma once
// reportd's Prometheus metrics: the one place that knows prometheus-cpp. The layers below only
// tell what happened, through their observer interfaces (engineio, socketio, service and api
// each have an observer.hpp); Metrics counts it, and renders everything as the Prometheus text
// format for /metrics. The names and labels are listed in the README ("Metrics").

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/observer.hpp"
#include "engineio/observer.hpp"
#include "service/observer.hpp"
#include "socketio/observer.hpp"

namespace app {

// Values read at each scrape rather than counted as they happen.
struct Gauges {
  std::function<std::size_t()> engineio_sessions;
  std::function<std::size_t()> websockets;
  std::function<std::size_t()> live_sockets;
  // Set when Redis is configured: whether it is connected, and the broadcasts not published.
  std::function<bool()> redis_ready;
  std::function<std::uint64_t()> redis_publish_failures;
};

// What reportd_build_info says.
struct BuildInfo {
  std::string_view version;
  std::string_view commit;
};

class Metrics final : public engineio::Observer,
                      public socketio::Observer,
                      public service::Observer,
                      public api::Observer {
 public:
  // Construct it before whatever reports to it, so that it outlives them.
  explicit Metrics(BuildInfo build);
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Every metric in the Prometheus text format (version 0.0.4), with the gauges read now.
  std::string render(const Gauges& gauges) const;

  // Engine.IO and Socket.IO: any thread, and per packet for packets_dropped (both layers count
  // into the same metric, each the packets it did not pass on).
  void handshake_refused(engineio::HandshakeRefusal refusal) override;
  void packets_dropped(net::SendStatus why, std::size_t count) override;
  void session_closed(engineio::CloseReason reason) override;
  void connect_refused(socketio::ConnectRefusal refusal) override;
  void broadcast_emitted(std::chrono::steady_clock::duration took) override;
  // The services and the REST API.
  void login_attempted(service::LoginOutcome outcome) override;
  void comments_committed(std::size_t batch, std::size_t committed,
                          std::chrono::steady_clock::duration took) override;
  void request_completed(const api::CompletedRequest& request) override;

 private:
  struct Registry;  // prometheus-cpp's registry and the metrics in it, in metrics.cpp only
  std::unique_ptr<Registry> registry_;
};

}  // namespace app
