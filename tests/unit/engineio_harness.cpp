#include "engineio_harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <utility>

namespace harness {

void FakeExchange::accept_websocket(net::Strand, const net::WebSocketLimits&,
                                    std::function<void(net::WebSocketPtr)>) {
  ADD_FAILURE() << "accept_websocket called for a polling request";
}

std::string join(std::initializer_list<std::string> packets) {
  std::string out;
  for (const auto& p : packets) {
    if (!out.empty()) out.push_back(kSep);
    out += p;
  }
  return out;
}

::testing::AssertionResult IsError(const ExchangePtr& ex, unsigned status, int code,
                                   std::string_view message) {
  if (!ex->answered()) return ::testing::AssertionFailure() << "no response";
  if (ex->responses.size() != 1) {
    return ::testing::AssertionFailure() << ex->responses.size() << " responses";
  }
  const auto& res = ex->responses.front();
  if (res.status != status) {
    return ::testing::AssertionFailure() << "status " << res.status << " body " << res.body;
  }
  if (res.content_type != "application/json") {
    return ::testing::AssertionFailure() << "content type " << res.content_type;
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(res.body, ec);
  if (ec || !value.is_object()) return ::testing::AssertionFailure() << "not JSON: " << res.body;
  const auto& obj = value.as_object();
  if (obj.size() != 2 || !obj.contains("code") || !obj.contains("message") ||
      !obj.at("code").is_int64() || !obj.at("message").is_string()) {
    return ::testing::AssertionFailure() << "bad error shape: " << res.body;
  }
  if (obj.at("code").as_int64() != code) return ::testing::AssertionFailure() << res.body;
  if (!message.empty() && obj.at("message").as_string() != message) {
    return ::testing::AssertionFailure() << "message: " << res.body;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsPayload(const ExchangePtr& ex, std::string_view body) {
  if (!ex->answered()) return ::testing::AssertionFailure() << "no response";
  if (ex->responses.size() != 1) {
    return ::testing::AssertionFailure() << ex->responses.size() << " responses";
  }
  const auto& res = ex->responses.front();
  if (res.status != 200 || res.body != body) {
    return ::testing::AssertionFailure()
           << "got " << res.status << " " << ::testing::PrintToString(res.body) << ", want 200 "
           << ::testing::PrintToString(std::string(body));
  }
  return ::testing::AssertionSuccess();
}

engineio::ServerOptions slow_options() {
  engineio::ServerOptions options;
  options.path = "/engine.io/";
  options.ping_interval = 60s;  // no heartbeat during a test unless it asks for one
  options.ping_timeout = 60s;
  options.max_payload = 100'000;
  return options;
}

engineio::ServerOptions heartbeat_options(std::chrono::milliseconds interval,
                                          std::chrono::milliseconds timeout) {
  auto options = slow_options();
  options.ping_interval = interval;
  options.ping_timeout = timeout;
  return options;
}

void IoDriver::poll() {
  ioc_.restart();
  ioc_.poll();
}

void IoDriver::run_for(std::chrono::milliseconds duration) {
  ioc_.restart();
  ioc_.run_for(duration);
}

bool IoDriver::run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  poll();
  while (!done() && Clock::now() < deadline) {
    ioc_.restart();
    if (ioc_.run_one_until(deadline) == 0 && ioc_.stopped()) break;  // out of work
  }
  return done();
}

void PollingHarness::replace_server(const engineio::ServerOptions& options) {
  server_ = std::make_unique<engineio::Server>(ioc_, options);
}

net::HttpRequest PollingHarness::make_request(std::string method, std::string target,
                                              std::string body) {
  net::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.body = std::move(body);
  request.remote_address = "192.0.2.7";
  return request;
}

std::string PollingHarness::target(std::string_view query) {
  return std::string("/engine.io/?") + std::string(query);
}

std::string PollingHarness::session_target(const std::string& sid) {
  return target("EIO=4&transport=polling&sid=" + sid);
}

ExchangePtr PollingHarness::send(net::HttpRequest request) {
  auto exchange = std::make_shared<FakeExchange>();
  server_->handle(std::move(request), exchange);
  poll();
  return exchange;
}

ExchangePtr PollingHarness::send(std::string method, std::string target, std::string body) {
  return send(make_request(std::move(method), std::move(target), std::move(body)));
}

std::string PollingHarness::open_session() {
  auto ex = send("GET", target("EIO=4&transport=polling"));
  if (!ex->answered() || ex->status() != 200 || !ex->body().starts_with("0{")) {
    ADD_FAILURE() << "handshake: " << ex->status() << " " << ex->body();
    return "";
  }
  // The open packet comes first; the connection handler may have sent more after it.
  const auto open_packet = ex->body().substr(1, ex->body().find(kSep) - 1);
  auto open = boost::json::parse(open_packet);
  return std::string(open.as_object().at("sid").as_string());
}

}  // namespace harness
