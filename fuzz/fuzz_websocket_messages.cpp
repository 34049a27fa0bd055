// The real server-side WebSocket connection (net/websocket.cpp: frames, fragment reassembly,
// control frames, close handshake, UTF-8 checks) fed by a client over a socket pair. The first byte
// picks the message size limit, the second where the rest is cut: the first part arrives together
// with the upgrade request (early bytes), the second over the socket afterwards, so that frames
// split across reads are reassembled too. The client then closes its side and drains what the
// server sends. Each connection must end by itself, report its end once, and deliver only
// messages within the limit, text ones in valid UTF-8.

#include <sys/socket.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/utf8.hpp"
#include "check.hpp"
#include "net/executor.hpp"
#include "net/websocket.hpp"
#include "net/websocket_accept.hpp"
#include "net/websocket_frame.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::array<std::size_t, 3> kMaxMessageBytes = {125, 1000, 70'000};

net::IoContext& io_context() {
  static auto* instance = new net::IoContext;  // never destroyed: libFuzzer may exit at any time
  return *instance;
}

// A connected pair of stream sockets, the server's on `strand`. A Unix socket pair rather than
// TCP over loopback: ten times faster, and the connection uses nothing that TCP alone has.
std::pair<net::WebSocketSocket, std::shared_ptr<tcp::socket>> socket_pair(net::Strand strand) {
  int fds[2];
  FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  net::WebSocketSocket server(strand.get_inner_executor(), tcp::v4(), fds[0]);
  auto client = std::make_shared<tcp::socket>(io_context(), tcp::v4(), fds[1]);
  return {std::move(server), std::move(client)};
}

http::request<http::string_body> upgrade_request() {
  http::request<http::string_body> request{http::verb::get, "/ws", 11};
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(http::field::sec_websocket_version, "13");
  return request;
}

// Reads whatever the server sends until it closes.
void drain(const std::shared_ptr<tcp::socket>& client) {
  auto buffer = std::make_shared<std::array<char, 4096>>();
  client->async_read_some(asio::buffer(*buffer),
                          [client, buffer](boost::system::error_code ec, std::size_t) {
                            if (!ec) drain(client);
                          });
}

struct Outcome {
  int closes = 0;
  bool opened = false;
};

// Checks every message against the limits, and counts the ends.
struct Checker final : net::WebSocketListener {
  Checker(net::WebSocketLimits limits, std::shared_ptr<Outcome> outcome)
      : limits(limits), outcome(std::move(outcome)) {}
  void on_websocket_message(const net::WebSocket&, std::string&& message, bool binary) override {
    FUZZ_CHECK(message.size() <= limits.max_message_bytes);
    FUZZ_CHECK(binary || base::is_valid_utf8(message));
  }
  void on_websocket_closed(const net::WebSocket&, boost::system::error_code) override {
    ++outcome->closes;
  }
  net::WebSocketLimits limits;
  std::shared_ptr<Outcome> outcome;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  auto& ioc = io_context();
  const net::WebSocketLimits limits{kMaxMessageBytes[data[0] % kMaxMessageBytes.size()]};
  const std::string_view frames(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto cut = frames.size() * data[1] / 255;

  const auto strand = asio::make_strand(ioc);
  auto [server, client] = socket_pair(strand);

  auto outcome = std::make_shared<Outcome>();
  net::accept_websocket(std::move(server), strand, upgrade_request(),
                        std::string(frames.substr(0, cut)), limits,
                        [outcome, limits](net::WebSocketPtr ws) {
                          if (!ws) return;
                          outcome->opened = true;
                          ws->start(std::make_shared<Checker>(limits, outcome));
                        });
  asio::write(*client, asio::buffer(frames.substr(cut)));
  client->shutdown(tcp::socket::shutdown_send);
  drain(client);
  client.reset();

  ioc.restart();
  ioc.run_for(std::chrono::seconds(8));
  // Everything ends by itself within the close timeout, and nothing stays alive.
  FUZZ_CHECK(ioc.stopped());
  FUZZ_CHECK(outcome->opened && outcome->closes == 1);
  FUZZ_CHECK(net::live_websocket_count() == 0);
  return 0;
}
