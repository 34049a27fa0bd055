#include "app/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>

namespace app {
namespace {

namespace prom = prometheus;
using Seconds = std::chrono::duration<double>;
using Buckets = prom::Histogram::BucketBoundaries;

constexpr std::array kHandshakeRefusals = {
    engineio::HandshakeRefusal::request_filter,
    engineio::HandshakeRefusal::address_cap,
    engineio::HandshakeRefusal::session_cap,
};
constexpr std::array kConnectRefusals = {
    socketio::ConnectRefusal::invalid_namespace,
    socketio::ConnectRefusal::middleware,
};
constexpr std::array kDrops = {
    net::SendStatus::dropped_closed,
    net::SendStatus::dropped_not_ready,
    net::SendStatus::dropped_overflow,
};
constexpr std::array kLoginOutcomes = {
    service::LoginOutcome::success,          service::LoginOutcome::bad_credentials,
    service::LoginOutcome::inactive,         service::LoginOutcome::rate_limited,
    service::LoginOutcome::invalid_username, service::LoginOutcome::unavailable,
};

std::string label_of(engineio::HandshakeRefusal refusal) {
  switch (refusal) {
    case engineio::HandshakeRefusal::request_filter:
      return "request_filter";
    case engineio::HandshakeRefusal::address_cap:
      return "address_cap";
    case engineio::HandshakeRefusal::session_cap:
      return "session_cap";
  }
  return "unknown";
}

std::string label_of(socketio::ConnectRefusal refusal) {
  switch (refusal) {
    case socketio::ConnectRefusal::invalid_namespace:
      return "invalid_namespace";
    case socketio::ConnectRefusal::middleware:
      return "middleware";
  }
  return "unknown";
}

std::string label_of(net::SendStatus drop) {
  switch (drop) {
    case net::SendStatus::dropped_closed:
      return "closed";
    case net::SendStatus::dropped_not_ready:
      return "not_ready";
    case net::SendStatus::dropped_overflow:
      return "overflow";
    case net::SendStatus::queued:
      break;
  }
  return "unknown";
}

std::string label_of(service::LoginOutcome outcome) {
  switch (outcome) {
    case service::LoginOutcome::success:
      return "success";
    case service::LoginOutcome::bad_credentials:
      return "bad_credentials";
    case service::LoginOutcome::inactive:
      return "inactive";
    case service::LoginOutcome::rate_limited:
      return "rate_limited";
    case service::LoginOutcome::invalid_username:
      return "invalid_username";
    case service::LoginOutcome::unavailable:
      return "unavailable";
  }
  return "unknown";
}

// A label value for any method a client may send: the methods of HTTP, or "other", so that a
// client cannot create a series per made-up method.
std::string method_label(std::string_view method) {
  constexpr std::array kKnown = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (std::string_view known : kKnown) {
    if (method == known) return std::string(known);
  }
  return "other";
}

// One counter per value of `Enum`, created up front: counting is then an index and an atomic
// add, without the family's lock and label lookup.
template <class Enum, std::size_t N>
struct CounterPerValue {
  CounterPerValue(prom::Family<prom::Counter>& family, std::string_view label,
                  const std::array<Enum, N>& values) {
    for (std::size_t i = 0; i < N; ++i) {
      counters[static_cast<std::size_t>(values[i])] =
          &family.Add({{std::string(label), label_of(values[i])}});
    }
  }
  void increment(Enum value, double by = 1) {
    const auto index = static_cast<std::size_t>(value);
    if (index < counters.size() && counters[index]) counters[index]->Increment(by);
  }
  // Indexed by the enum's value: these enums number from 0, and net::SendStatus's dropped
  // values follow `queued` (which has no counter), hence N + 1.
  std::array<prom::Counter*, N + 1> counters{};
};

// A metric sampled at scrape time: one family with one unlabelled value.
prom::MetricFamily sampled(std::string name, std::string help, prom::MetricType type,
                           double value) {
  prom::ClientMetric metric;
  if (type == prom::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {std::move(name), std::move(help), type, {std::move(metric)}};
}

}  // namespace

struct Metrics::Registry {
  prom::Registry registry;

  prom::Family<prom::Counter>& rest_requests =
      prom::BuildCounter()
          .Name("reportd_rest_requests_total")
          .Help("REST API requests answered, by method, route pattern and status")
          .Register(registry);
  prom::Family<prom::Histogram>& rest_duration =
      prom::BuildHistogram()
          .Name("reportd_rest_request_duration_seconds")
          .Help("Time from a REST request's arrival to its answer, by method and route pattern")
          .Register(registry);
  CounterPerValue<service::LoginOutcome, kLoginOutcomes.size()> logins{
      prom::BuildCounter()
          .Name("reportd_logins_total")
          .Help("Login attempts, by outcome")
          .Register(registry),
      "outcome", kLoginOutcomes};
  prom::Counter& comments_committed = prom::BuildCounter()
                                          .Name("reportd_comments_committed_total")
                                          .Help("Comments committed to the database")
                                          .Register(registry)
                                          .Add({});
  prom::Histogram& commit_batch =
      prom::BuildHistogram()
          .Name("reportd_comment_commit_batch_size")
          .Help("Comments written per group-commit transaction")
          .Register(registry)
          .Add({}, Buckets{1, 2, 4, 8, 16, 32, 64, 128, 256});  // up to CommentWriter::kMaxBatch
  prom::Histogram& commit_duration = prom::BuildHistogram()
                                         .Name("reportd_comment_commit_duration_seconds")
                                         .Help("Time of one group-commit transaction of comments")
                                         .Register(registry)
                                         .Add({}, Buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05, 0.1, 0.25, 0.5, 1, 2.5});
  prom::Histogram& broadcast_duration =
      prom::BuildHistogram()
          .Name("reportd_broadcast_duration_seconds")
          .Help("Time to encode a broadcast and hand it to this node's sockets and the adapter")
          .Register(registry)
          .Add({}, Buckets{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                           0.005, 0.01, 0.025, 0.1});
  CounterPerValue<net::SendStatus, kDrops.size()> packets_dropped{
      prom::BuildCounter()
          .Name("reportd_packets_dropped_total")
          .Help("Engine.IO packets not sent, by reason: the connection was closed, a volatile "
                "packet found it not ready, or its send buffer overflowed")
          .Register(registry),
      "reason", kDrops};
  prom::Counter& slow_consumers =
      prom::BuildCounter()
          .Name("reportd_slow_consumer_disconnects_total")
          .Help("Engine.IO sessions closed because the client let its send buffer overflow")
          .Register(registry)
          .Add({});
  prom::Family<prom::Counter>& connects_refused =
      prom::BuildCounter()
          .Name("reportd_connects_refused_total")
          .Help("Engine.IO handshakes and Socket.IO CONNECTs refused, by reason")
          .Register(registry);
  CounterPerValue<engineio::HandshakeRefusal, kHandshakeRefusals.size()> handshakes_refused{
      connects_refused, "reason", kHandshakeRefusals};
  CounterPerValue<socketio::ConnectRefusal, kConnectRefusals.size()> socketio_refused{
      connects_refused, "reason", kConnectRefusals};

  // REST latency buckets: from a cached read to a login's password hash and a slow database.
  static inline const Buckets kRestBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};
};

Metrics::Metrics(BuildInfo build) : registry_(std::make_unique<Registry>()) {
  prom::BuildGauge()
      .Name("reportd_build_info")
      .Help("The version and commit of this reportd, as `reportd --version` prints them")
      .Register(registry_->registry)
      .Add({{"version", std::string(build.version)}, {"commit", std::string(build.commit)}})
      .Set(1);
}

Metrics::~Metrics() = default;

std::string Metrics::render(const Gauges& gauges) const {
  auto families = registry_->registry.Collect();
  using Type = prom::MetricType;
  families.push_back(sampled("reportd_engineio_sessions", "Open Engine.IO sessions", Type::Gauge,
                             static_cast<double>(gauges.engineio_sessions())));
  families.push_back(sampled("reportd_websockets", "Open WebSocket connections", Type::Gauge,
                             static_cast<double>(gauges.websockets())));
  families.push_back(sampled("reportd_live_sockets", "Internal users connected to /ws/internal",
                             Type::Gauge, static_cast<double>(gauges.live_sockets())));
  if (gauges.redis_ready) {
    families.push_back(sampled("reportd_redis_connected",
                               "Whether the Socket.IO Redis adapter is connected", Type::Gauge,
                               gauges.redis_ready() ? 1 : 0));
    families.push_back(sampled("reportd_redis_publish_failures_total",
                               "Broadcasts that could not be published to Redis", Type::Counter,
                               static_cast<double>(gauges.redis_publish_failures())));
  }
  return prom::TextSerializer().Serialize(families);
}

void Metrics::handshake_refused(engineio::HandshakeRefusal refusal) {
  registry_->handshakes_refused.increment(refusal);
}

void Metrics::packets_dropped(net::SendStatus why, std::size_t count) {
  registry_->packets_dropped.increment(why, static_cast<double>(count));
}

void Metrics::session_closed(engineio::CloseReason reason) {
  if (reason == engineio::CloseReason::send_buffer_overflow) registry_->slow_consumers.Increment();
}

void Metrics::connect_refused(socketio::ConnectRefusal refusal) {
  registry_->socketio_refused.increment(refusal);
}

void Metrics::broadcast_emitted(std::chrono::steady_clock::duration took) {
  registry_->broadcast_duration.Observe(Seconds(took).count());
}

void Metrics::login_attempted(service::LoginOutcome outcome) {
  registry_->logins.increment(outcome);
}

void Metrics::comments_committed(std::size_t batch, std::size_t committed,
                                 std::chrono::steady_clock::duration took) {
  registry_->comments_committed.Increment(static_cast<double>(committed));
  registry_->commit_batch.Observe(static_cast<double>(batch));
  registry_->commit_duration.Observe(Seconds(took).count());
}

// Family::Add takes the family's lock and looks the labels up: fine for a REST request, which
// costs far more, and the label values are bounded (methods, the routing table, statuses).
void Metrics::request_completed(const api::CompletedRequest& request) {
  auto method = method_label(request.method);
  std::string route(request.route);
  registry_->rest_requests
      .Add({{"method", method}, {"route", route}, {"status", std::to_string(request.status)}})
      .Increment();
  registry_->rest_duration
      .Add({{"method", std::move(method)}, {"route", std::move(route)}}, Registry::kRestBuckets)
      .Observe(Seconds(request.took).count());
}

}  // namespace app
