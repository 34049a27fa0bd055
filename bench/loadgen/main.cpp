// loadgen: opens many Socket.IO clients over WebSocket, speaking Engine.IO v4 / Socket.IO v5
// directly (no client library, so the generator stays cheap next to the server it measures),
// joins them to a room, has the server broadcast to that room, and reports deliveries per
// second and latency as JSON. Every run is bounded by --clients, --messages and --deadline-ms.
//
//   loadgen --port 3000 --clients 5000 --nsp /rooms --room bench --messages 20 --size 100
//           [--sources 127.0.0.1,127.0.0.2] [--server-pid PID] [--deadline-ms 60000]
//
// The server must implement the /rooms namespace of tests/servers/socketio_test_server.cpp:
// "join" (room) with an ack, and "flood" ({room,count,size}) which broadcasts count "flood"
// events [index, filler] to the room.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  std::string host = "127.0.0.1";
  unsigned short port = 3000;
  std::string path = "/socket.io/";
  std::string nsp = "/rooms";
  std::string room = "bench";
  int clients = 1000;
  int messages = 10;
  int size = 100;
  int concurrency = 256;
  int threads = 1;
  int deadline_ms = 60'000;
  int server_pid = 0;
  std::vector<std::string> sources = {"127.0.0.1"};
};

struct Stats {
  std::atomic<int> connected{0};
  std::atomic<int> joined{0};
  std::atomic<int> failed{0};
  std::atomic<long> deliveries{0};
  std::atomic<int> finished{0};  // clients that got every message
};

double cpu_seconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), {});
  auto close_paren = content.rfind(')');
  std::istringstream fields(content.substr(close_paren + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rss_kib(int pid) {
  if (pid <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

using Ws = websocket::stream<beast::tcp_stream>;

// Reads until a text message that is not an Engine.IO ping; answers pings on the way.
asio::awaitable<std::string> read_packet(Ws& ws, beast::flat_buffer& buffer) {
  for (;;) {
    buffer.clear();
    co_await ws.async_read(buffer, asio::use_awaitable);
    std::string text = beast::buffers_to_string(buffer.data());
    if (text == "2") {
      co_await ws.async_write(asio::buffer(std::string("3")), asio::use_awaitable);
      continue;
    }
    co_return text;
  }
}

asio::awaitable<std::unique_ptr<Ws>> open_client(const Config& config, const std::string& source) {
  auto executor = co_await asio::this_coro::executor;
  auto ws = std::make_unique<Ws>(executor);
  auto& socket = beast::get_lowest_layer(*ws).socket();
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  co_await beast::get_lowest_layer(*ws).async_connect(
      tcp::endpoint(asio::ip::make_address(config.host), config.port), asio::use_awaitable);
  beast::get_lowest_layer(*ws).expires_never();
  ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  co_await ws->async_handshake(config.host, config.path + "?EIO=4&transport=websocket",
                               asio::use_awaitable);
  beast::flat_buffer buffer;
  auto open = co_await read_packet(*ws, buffer);
  if (!open.starts_with("0{")) throw std::runtime_error("no Engine.IO open packet");
  co_await ws->async_write(asio::buffer("40" + config.nsp + ","), asio::use_awaitable);
  auto connect = co_await read_packet(*ws, buffer);
  if (!connect.starts_with("40" + config.nsp + ",")) throw std::runtime_error("connect refused");
  co_return ws;
}

asio::awaitable<void> run_client(const Config& config, const std::string& source, Stats& stats,
                                 std::shared_ptr<asio::steady_timer> all_joined) {
  std::unique_ptr<Ws> ws;
  try {
    ws = co_await open_client(config, source);
    ++stats.connected;
    co_await ws->async_write(
        asio::buffer("42" + config.nsp + ",1[\"join\",\"" + config.room + "\"]"),
        asio::use_awaitable);
    beast::flat_buffer buffer;
    auto ack = co_await read_packet(*ws, buffer);
    if (!ack.starts_with("43" + config.nsp + ",1")) throw std::runtime_error("join not acked");
    if (++stats.joined == config.clients) all_joined->cancel();
    const std::string flood_prefix = "42" + config.nsp + ",[\"flood\"";
    int received = 0;
    while (received < config.messages) {
      auto packet = co_await read_packet(*ws, buffer);
      if (packet.starts_with(flood_prefix)) {
        ++received;
        ++stats.deliveries;
      }
    }
    ++stats.finished;
    // Stay connected (answering pings) until the run ends and the context stops.
    for (;;) co_await read_packet(*ws, buffer);
  } catch (const std::exception&) {
    if (!ws || stats.joined < config.clients) ++stats.failed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::string sources = "127.0.0.1";
  CLI::App app{"Socket.IO broadcast load generator"};
  app.add_option("--host", config.host);
  app.add_option("--port", config.port);
  app.add_option("--path", config.path);
  app.add_option("--nsp", config.nsp);
  app.add_option("--room", config.room);
  app.add_option("--clients", config.clients)->check(CLI::Range(1, 19000));
  app.add_option("--messages", config.messages)->check(CLI::Range(1, 100000));
  app.add_option("--size", config.size)->check(CLI::Range(0, 1000000));
  app.add_option("--concurrency", config.concurrency)->check(CLI::Range(1, 5000));
  app.add_option("--threads", config.threads)->check(CLI::Range(1, 16));
  app.add_option("--deadline-ms", config.deadline_ms)->check(CLI::Range(100, 600000));
  app.add_option("--server-pid", config.server_pid);
  app.add_option("--sources", sources, "comma-separated 127.x source addresses");
  CLI11_PARSE(app, argc, argv);
  config.sources.clear();
  std::stringstream list(sources);
  for (std::string item; std::getline(list, item, ',');) config.sources.push_back(item);

  asio::io_context ioc;
  Stats stats;
  const auto deadline = Clock::now() + std::chrono::milliseconds(config.deadline_ms);
  auto all_joined =
      std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(config.deadline_ms));

  const auto rss_before = rss_kib(config.server_pid);
  const auto connect_started = Clock::now();
  // Opens clients in waves of --concurrency so the server's accept backlog is not overrun.
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer pause(co_await asio::this_coro::executor);
        for (int i = 0; i < config.clients; ++i) {
          while (i - stats.joined - stats.failed >= config.concurrency && Clock::now() < deadline) {
            pause.expires_after(std::chrono::milliseconds(1));
            co_await pause.async_wait(asio::use_awaitable);
          }
          asio::co_spawn(
              ioc, run_client(config, config.sources[i % config.sources.size()], stats, all_joined),
              asio::detached);
        }
      },
      asio::detached);

  double connect_seconds = 0, flood_seconds = 0, cpu_used = 0;
  long rss_after = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        boost::system::error_code ec;
        co_await all_joined->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        connect_seconds = std::chrono::duration<double>(Clock::now() - connect_started).count();
        rss_after = rss_kib(config.server_pid);
        auto driver = co_await open_client(config, config.sources.front());
        const double cpu_before = cpu_seconds(config.server_pid);
        const auto flood_started = Clock::now();
        co_await driver->async_write(
            asio::buffer("42" + config.nsp + ",[\"flood\",{\"room\":\"" + config.room +
                         "\",\"count\":" + std::to_string(config.messages) +
                         ",\"size\":" + std::to_string(config.size) + "}]"),
            asio::use_awaitable);
        asio::steady_timer poll(co_await asio::this_coro::executor);
        while (stats.finished < stats.joined && Clock::now() < deadline) {
          poll.expires_after(std::chrono::milliseconds(1));
          co_await poll.async_wait(asio::use_awaitable);
        }
        flood_seconds = std::chrono::duration<double>(Clock::now() - flood_started).count();
        cpu_used = cpu_seconds(config.server_pid) - cpu_before;
        ioc.stop();
      },
      [&](std::exception_ptr error) {
        if (error) ioc.stop();
      });

  std::vector<std::thread> threads;
  for (int i = 1; i < config.threads; ++i) threads.emplace_back([&] { ioc.run_until(deadline); });
  ioc.run_until(deadline);
  ioc.stop();
  for (auto& t : threads) t.join();

  const long deliveries = stats.deliveries;
  std::printf(
      "{\"clients\":%d,\"joined\":%d,\"failed\":%d,\"messages\":%d,\"size\":%d,"
      "\"connect_seconds\":%.3f,\"joins_per_second\":%.0f,"
      "\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,\"rss_per_client_bytes\":%.0f,"
      "\"deliveries\":%ld,\"expected_deliveries\":%ld,\"flood_seconds\":%.3f,"
      "\"deliveries_per_second\":%.0f,\"server_cpu_seconds\":%.3f,"
      "\"server_cpu_seconds_per_million\":%.3f}\n",
      config.clients, stats.joined.load(), stats.failed.load(), config.messages, config.size,
      connect_seconds, stats.joined / std::max(connect_seconds, 1e-9), rss_before, rss_after,
      stats.joined ? (rss_after - rss_before) * 1024.0 / stats.joined : 0.0, deliveries,
      static_cast<long>(stats.joined) * config.messages, flood_seconds,
      deliveries / std::max(flood_seconds, 1e-9), cpu_used,
      deliveries ? cpu_used * 1e6 / static_cast<double>(deliveries) : 0.0);
  return stats.finished == stats.joined && stats.joined == config.clients ? 0 : 1;
}
