#pragma once
// Drives an engineio::Server without a network: requests are built by hand, answered into
// FakeExchange objects, and the io_context is run by the test on its own thread, so every
// handler runs between two statements of a test.
//
// Timing: a timer never fires early, so lower bounds on elapsed time are exact; upper bounds have
// wide margins (hundreds of milliseconds or more) so that a busy machine does not fail the tests.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/options.hpp"
#include "engineio/server.hpp"
#include "net/executor.hpp"
#include "net/http_handler.hpp"

namespace harness {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr char kSep = '\x1e';   // joins the packets of one polling payload
inline constexpr auto kLongWait = 3s;  // bound on waiting for something that must happen soon

// Records what the server answers; a polling request must never be turned into a WebSocket.
class FakeExchange : public net::HttpExchange {
 public:
  void respond(net::HttpResponse response) override {
    response.body = response.body_text();  // one string, as the client reads it
    response.shared_body.clear();
    responses.push_back(std::move(response));
  }
  void accept_websocket(net::Strand, const net::WebSocketLimits&,
                        std::function<void(net::WebSocketPtr)>) override;
  // Kept for the test to call: "the client closed this request's connection".
  void on_client_gone(std::function<void()> callback) override {
    client_gone = std::move(callback);
  }

  bool answered() const { return !responses.empty(); }
  unsigned status() const { return answered() ? responses.front().status : 0; }
  std::string body() const { return answered() ? responses.front().body : "<no response>"; }

  std::vector<net::HttpResponse> responses;
  std::function<void()> client_gone;
};

using ExchangePtr = std::shared_ptr<FakeExchange>;

// The packets of one polling payload, joined by the record separator.
std::string join(std::initializer_list<std::string> packets);

// An Engine.IO error answer: the status, and {"code":N,"message":...} with exactly those keys.
::testing::AssertionResult IsError(const ExchangePtr& ex, unsigned status, int code,
                                   std::string_view message = {});
// A 200 text answer with exactly this body.
::testing::AssertionResult IsPayload(const ExchangePtr& ex, std::string_view body);

// Options under which nothing happens on its own during a test: no heartbeat unless asked for.
engineio::ServerOptions slow_options();
engineio::ServerOptions heartbeat_options(std::chrono::milliseconds interval,
                                          std::chrono::milliseconds timeout);

// An io_context run by the test thread, a little at a time.
class IoDriver {
 public:
  // Runs what is ready now.
  void poll();
  // Runs the io_context for `duration` (less only if it runs out of work, when nothing can
  // happen anyway: only the test thread adds work).
  void run_for(std::chrono::milliseconds duration);
  // Runs the io_context until `done()` holds or `limit` has passed; returns done().
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = kLongWait);

 protected:
  net::IoContext ioc_;
};

// An engineio::Server and the polling requests of its clients, made by hand.
class PollingHarness : public IoDriver {
 public:
  engineio::Server& server() { return *server_; }

  static net::HttpRequest make_request(std::string method, std::string target,
                                       std::string body = {});
  static std::string target(std::string_view query);
  static std::string session_target(const std::string& sid);

  // Hands the request to the server and runs what is ready; the exchange may still be pending.
  ExchangePtr send(net::HttpRequest request);
  ExchangePtr send(std::string method, std::string target, std::string body = {});
  ExchangePtr get(const std::string& sid) { return send("GET", session_target(sid)); }
  ExchangePtr post(const std::string& sid, std::string body) {
    return send("POST", session_target(sid), std::move(body));
  }

  // Opens a polling session; returns its sid ("" and a failure if the handshake did not work).
  std::string open_session();

 protected:
  // Replaces the server (call before opening any session); the new one has no handlers yet.
  void replace_server(const engineio::ServerOptions& options);

  std::unique_ptr<engineio::Server> server_;
};

}  // namespace harness
