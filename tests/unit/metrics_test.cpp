// app::Metrics: what the observers hear becomes the Prometheus text of /metrics, with bounded
// label values.

#include "app/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace {

using namespace std::chrono_literals;

// The value of the sample line `series` (name and labels exactly as written), or -1 if absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

app::Gauges gauges() {
  app::Gauges gauges;
  gauges.engineio_sessions = [] { return std::size_t{3}; };
  gauges.websockets = [] { return std::size_t{2}; };
  gauges.live_sockets = [] { return std::size_t{1}; };
  return gauges;  // without Redis
}

TEST(Metrics, BuildInfoAndTheGaugesReadAtRender) {
  app::Metrics metrics({.version = "1.2.3", .commit = "abc123"});
  const auto text = metrics.render(gauges());
  EXPECT_EQ(sample(text, R"(reportd_build_info{commit="abc123",version="1.2.3"})"), 1);
  EXPECT_EQ(sample(text, "reportd_engineio_sessions"), 3);
  EXPECT_EQ(sample(text, "reportd_websockets"), 2);
  EXPECT_EQ(sample(text, "reportd_live_sockets"), 1);
  EXPECT_EQ(text.find("reportd_redis"), std::string::npos) << "no Redis metrics without Redis";
  EXPECT_NE(text.find("# TYPE reportd_websockets gauge"), std::string::npos);

  auto with_redis = gauges();
  with_redis.redis_ready = [] { return true; };
  with_redis.redis_publish_failures = [] { return std::uint64_t{7}; };
  const auto redis_text = metrics.render(with_redis);
  EXPECT_EQ(sample(redis_text, "reportd_redis_connected"), 1);
  EXPECT_EQ(sample(redis_text, "reportd_redis_publish_failures_total"), 7);
  EXPECT_NE(redis_text.find("# TYPE reportd_redis_publish_failures_total counter"),
            std::string::npos);
}

TEST(Metrics, EveryReasonAndOutcomeIsThereFromTheStart) {
  app::Metrics metrics({.version = "v", .commit = "c"});
  const auto text = metrics.render(gauges());
  for (const char* outcome : {"success", "bad_credentials", "inactive", "rate_limited",
                              "invalid_username", "unavailable"}) {
    EXPECT_EQ(sample(text, std::string(R"(reportd_logins_total{outcome=")") + outcome + "\"}"), 0)
        << outcome;
  }
  for (const char* reason :
       {"request_filter", "address_cap", "session_cap", "invalid_namespace", "middleware"}) {
    EXPECT_EQ(
        sample(text, std::string(R"(reportd_connects_refused_total{reason=")") + reason + "\"}"), 0)
        << reason;
  }
  for (const char* reason : {"closed", "not_ready", "overflow"}) {
    EXPECT_EQ(
        sample(text, std::string(R"(reportd_packets_dropped_total{reason=")") + reason + "\"}"), 0)
        << reason;
  }
}

TEST(Metrics, BothLibraryLayersCountIntoTheSameMetrics) {
  app::Metrics metrics({.version = "v", .commit = "c"});
  engineio::Observer& engine = metrics;
  socketio::Observer& io = metrics;
  engine.packets_dropped(net::SendStatus::dropped_overflow, 3);
  io.packets_dropped(net::SendStatus::dropped_overflow, 2);
  io.packets_dropped(net::SendStatus::dropped_not_ready, 1);
  engine.handshake_refused(engineio::HandshakeRefusal::address_cap);
  io.connect_refused(socketio::ConnectRefusal::middleware);
  io.connect_refused(socketio::ConnectRefusal::middleware);
  engine.session_closed(engineio::CloseReason::send_buffer_overflow);
  engine.session_closed(engineio::CloseReason::ping_timeout);
  io.broadcast_emitted(30us);

  const auto text = metrics.render(gauges());
  EXPECT_EQ(sample(text, R"(reportd_packets_dropped_total{reason="overflow"})"), 5);
  EXPECT_EQ(sample(text, R"(reportd_packets_dropped_total{reason="not_ready"})"), 1);
  EXPECT_EQ(sample(text, R"(reportd_connects_refused_total{reason="address_cap"})"), 1);
  EXPECT_EQ(sample(text, R"(reportd_connects_refused_total{reason="middleware"})"), 2);
  EXPECT_EQ(sample(text, "reportd_slow_consumer_disconnects_total"), 1)
      << "only the send buffer overflows are slow consumers";
  EXPECT_EQ(sample(text, "reportd_broadcast_duration_seconds_count"), 1);
  EXPECT_EQ(sample(text, R"(reportd_broadcast_duration_seconds_bucket{le="2.5e-05"})"), 0);
  EXPECT_EQ(sample(text, R"(reportd_broadcast_duration_seconds_bucket{le="5e-05"})"), 1);
}

TEST(Metrics, CommitsCountTheCommittedCommentsAndTheBatchSizes) {
  app::Metrics metrics({.version = "v", .commit = "c"});
  service::Observer& services = metrics;
  services.comments_committed(4, 3, 2ms);
  services.comments_committed(1, 1, 20ms);
  services.login_attempted(service::LoginOutcome::rate_limited);

  const auto text = metrics.render(gauges());
  EXPECT_EQ(sample(text, "reportd_comments_committed_total"), 4);
  EXPECT_EQ(sample(text, "reportd_comment_commit_batch_size_count"), 2);
  EXPECT_EQ(sample(text, "reportd_comment_commit_batch_size_sum"), 5);
  EXPECT_EQ(sample(text, R"(reportd_comment_commit_batch_size_bucket{le="2"})"), 1);
  EXPECT_EQ(sample(text, R"(reportd_comment_commit_batch_size_bucket{le="4"})"), 2);
  EXPECT_EQ(sample(text, R"(reportd_comment_commit_duration_seconds_bucket{le="0.0025"})"), 1);
  EXPECT_EQ(sample(text, R"(reportd_comment_commit_duration_seconds_bucket{le="0.025"})"), 2);
  EXPECT_NEAR(sample(text, "reportd_comment_commit_duration_seconds_sum"), 0.022, 1e-9);
  EXPECT_EQ(sample(text, R"(reportd_logins_total{outcome="rate_limited"})"), 1);
}

TEST(Metrics, RestRequestsAreCountedByMethodRoutePatternAndStatusWithBoundedLabels) {
  app::Metrics metrics({.version = "v", .commit = "c"});
  api::Observer& rest = metrics;
  rest.request_completed({"POST", "/api/reports/:id/comments", 201, 3ms});
  rest.request_completed({"POST", "/api/reports/:id/comments", 201, 30ms});
  rest.request_completed({"GET", "unmatched", 404, 1ms});
  rest.request_completed({"BREW-COFFEE", "/api/reports", 405, 1ms});

  const auto text = metrics.render(gauges());
  EXPECT_EQ(
      sample(
          text,
          R"(reportd_rest_requests_total{method="POST",route="/api/reports/:id/comments",status="201"})"),
      2);
  EXPECT_EQ(
      sample(text, R"(reportd_rest_requests_total{method="GET",route="unmatched",status="404"})"),
      1)
      << "a path no route has is one series, whatever the path";
  EXPECT_EQ(
      sample(text,
             R"(reportd_rest_requests_total{method="other",route="/api/reports",status="405"})"),
      1)
      << "a made-up method is one series";
  EXPECT_EQ(
      sample(
          text,
          R"(reportd_rest_request_duration_seconds_count{method="POST",route="/api/reports/:id/comments"})"),
      2);
  EXPECT_EQ(
      sample(
          text,
          R"(reportd_rest_request_duration_seconds_bucket{method="POST",route="/api/reports/:id/comments",le="0.005"})"),
      1);
}

}  // namespace
