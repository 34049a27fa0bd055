// Engine.IO sessions over HTTP long-polling as a client drives them, through the real
// engineio::Server and Session (polling bodies with their caps, pings, upgrades refused, the
// close), without a socket: requests go straight to Server::handle and answers are recorded.
// After the handshake, the input is a list of requests separated by 0x1f, each one letter and
// its content: 'P' a POST whose body is the rest, 'G' a GET (long poll); other letters are
// skipped. The session echoes every message. The client then POSTs a close packet. Every body
// the server sends must be a valid payload, every request must be answered once the session is
// gone, and the session must be gone.

#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check.hpp"
#include "common/echo_listener.hpp"
#include "engineio/payload.hpp"
#include "engineio/server.hpp"

namespace {

class RecordedExchange final : public net::HttpExchange {
 public:
  void respond(net::HttpResponse response) override {
    if (!response_) response_ = std::move(response);
  }
  void accept_websocket(net::Strand, const net::WebSocketLimits&,
                        std::function<void(net::WebSocketPtr)>) override {
    FUZZ_CHECK(!"no request here asks for a WebSocket");
  }
  const std::optional<net::HttpResponse>& response() const { return response_; }

 private:
  std::optional<net::HttpResponse> response_;
};

engineio::ServerOptions options() {
  engineio::ServerOptions options;
  // Small limits, so that inputs of a few KiB reach them.
  options.max_payload = 4096;
  options.max_buffered_bytes = 16 * 1024;
  options.max_packets_per_payload = 64;
  return options;
}

struct Polling {
  net::IoContext ioc;
  engineio::Server server{ioc, options()};

  Polling() {
    server.on_connection([](engineio::Session& session) {
      // One listener serves every session: it keeps no state.
      static const auto echo = std::make_shared<examples::EchoListener>();
      session.listen(echo);
    });
  }
};

Polling& polling() {
  static auto* instance = new Polling;  // never destroyed: libFuzzer may exit at any time
  return *instance;
}

// Sends one request, runs what it set off, and returns its exchange (answered or waiting).
std::shared_ptr<RecordedExchange> send(std::string method, std::string target, std::string body) {
  auto& [ioc, server] = polling();
  net::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = {{"content-type", "text/plain;charset=UTF-8"}};
  request.body = std::move(body);
  request.remote_address = "127.0.0.1";
  auto exchange = std::make_shared<RecordedExchange>();
  if (request.body.size() > server.max_body_bytes(request)) {
    server.handle_oversized(std::move(request), exchange);
  } else {
    server.handle(std::move(request), exchange);
  }
  ioc.restart();
  ioc.poll();
  return exchange;
}

std::string sid_of_handshake(const net::HttpResponse& response) {
  const auto body = response.body_text();
  FUZZ_CHECK(response.status == 200 && body.starts_with('0'));
  const auto open = boost::json::parse(std::string_view(body).substr(1));
  return std::string(open.at("sid").as_string());
}

void check_answer(const net::HttpResponse& response, bool poll) {
  if (poll && response.status == 200) FUZZ_CHECK(engineio::decode_payload(response.body_text()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto handshake = send("GET", "/socket.io/?EIO=4&transport=polling", "");
  FUZZ_CHECK(handshake->response());
  const auto target =
      "/socket.io/?EIO=4&transport=polling&sid=" + sid_of_handshake(*handshake->response());

  std::vector<std::pair<std::shared_ptr<RecordedExchange>, bool>> exchanges;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const auto separator = input.find('\x1f');
    const auto request = input.substr(0, separator);
    if (request.starts_with('P')) {
      exchanges.emplace_back(send("POST", target, std::string(request.substr(1))), false);
    } else if (request.starts_with('G')) {
      exchanges.emplace_back(send("GET", target, ""), true);
    }
    if (separator == std::string_view::npos) break;
    input.remove_prefix(separator + 1);
  }
  send("POST", target, "1");

  FUZZ_CHECK(polling().server.session_count() == 0);
  for (const auto& [exchange, poll] : exchanges) {
    FUZZ_CHECK(exchange->response());
    check_answer(*exchange->response(), poll);
  }
  return 0;
}
