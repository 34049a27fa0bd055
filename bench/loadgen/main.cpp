// loadgen: drives the benchmarks of bench/run. It speaks Engine.IO v4 / Socket.IO v5 itself
// (no client library, so that the generator stays cheap next to the server it measures).
//
//   loadgen clients --port P --token T --clients N
//                   [--protocol socketio-ws|socketio-polling|raw-ws|raw-polling]
//                   [--reports 1,2,...] [--room-size K] [--stalled-fraction F] [--sources a,b]
//                   [--churn C]
//       Opens N clients, signs them in to /ws/internal, has client i join report
//       reports[(i / K) % len], prints {"event":"ready",...} and then, for every line "report" on
//       stdin, the deliveries and latency histogram since the previous report; "quit" or EOF
//       ends it. Latency = receive time - the t=<unix µs> that the poster put in the comment.
//       With --churn C (WebSocket only), a fraction C of the clients per second drops its
//       connection (TCP shutdown, as a closed laptop lid would) and reconnects with a new
//       session at once; a client whose connection the server ends reconnects after a second.
//   loadgen post --port P --token T --reports 1,2 --count M [--in-flight K] [--rate R] [--size B]
//       Posts M comments through the REST API, to reports chosen in turn (or at random with
//       --random), K at a time, at most R per second; prints {"posted":..,"seconds":..}.
//
// Every run is bounded by --deadline-ms.

#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <system_error>
#include <thread>

#include "histogram.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
using asio::use_awaitable;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 3000;
  std::string path = "/socket.io/";
  std::string nsp = "/ws/internal";
  std::string token;
  std::string protocol = "socketio-ws";
  std::vector<std::int64_t> reports = {1};
  std::vector<std::string> sources = {"127.0.0.1"};
  int clients = 100;
  int room_size = 0;  // 0: every client joins every... no: all clients join reports[0]
  double stalled_fraction = 0;
  double churn = 0;  // fraction of the clients that reconnect per second
  int concurrency = 200;
  std::string arrival = "client";  // polling: when a delivery counts as arrived (see --arrival)
  int deadline_ms = 120'000;
  // post
  int count = 10;
  int in_flight = 1;
  double rate = 0;
  int size = 64;
  bool random = false;
  std::string broadcast_path;  // post raw bodies here instead (the ceiling's POST /broadcast)
};

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The t=<µs> stamp that the poster wrote into the comment text.
std::optional<std::int64_t> stamp_of(std::string_view message) {
  auto at = message.find("t=");
  if (at == std::string_view::npos) return std::nullopt;
  std::int64_t value = 0;
  bool any = false;
  for (auto i = at + 2; i < message.size() && message[i] >= '0' && message[i] <= '9'; ++i) {
    value = value * 10 + (message[i] - '0');
    any = true;
  }
  return any ? std::optional(value) : std::nullopt;
}

struct Results {
  std::mutex mutex;
  loadgen::Histogram latency;
  std::uint64_t deliveries = 0;
  void record(std::int64_t micros) {
    std::lock_guard lock(mutex);
    latency.record(micros);
    ++deliveries;
  }
};

struct Counters {
  std::atomic<int> joined{0};      // clients whose first session joined its report
  std::atomic<int> failed{0};      // clients whose first session never joined
  std::atomic<int> closed{0};      // sessions ended by the server or by an error
  std::atomic<int> connected{0};   // sessions joined right now
  std::atomic<int> reconnects{0};  // sessions opened again (after churn or a close)
  std::atomic<int> reconnect_failures{0};
};

// The sockets of the joined WebSocket clients, so that the churn can drop some of them. All
// clients of a process run on one thread, so plain vectors suffice.
struct Churn {
  std::vector<tcp::socket*> sockets;
  std::vector<char> dropped;  // dropped on purpose: reconnect at once, not counted as closed
  explicit Churn(int clients) : sockets(clients, nullptr), dropped(clients, 0) {}

  // Registers a joined client's socket for as long as the guard lives.
  struct Registration {
    Churn& churn;
    int index;
    Registration(Churn& c, int i, tcp::socket& s) : churn(c), index(i) { churn.sockets[i] = &s; }
    ~Registration() { churn.sockets[index] = nullptr; }
  };

  // Drops a connected client's connection; false if client `index` is not connected now.
  bool drop(int index) {
    auto* socket = sockets[index];
    if (socket == nullptr) return false;
    dropped[index] = 1;
    boost::system::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_both, ignored);
    return true;
  }
};

tcp::endpoint server_endpoint(const Options& o) {
  return {asio::ip::make_address(o.host), o.port};
}

awaitable<void> connect_from(beast::tcp_stream& stream, const Options& o,
                             const std::string& source) {
  auto& socket = stream.socket();
  socket.open(tcp::v4());
  // The port is chosen at connect time instead of bind time: otherwise every bind searches
  // the ports still in TIME_WAIT from earlier runs, and thousands of connects crawl.
  socket.set_option(
      asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>(true));
  socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  co_await stream.async_connect(server_endpoint(o), use_awaitable);
  stream.expires_never();
}

std::string join_packet(const Options& o, std::int64_t report, int ack) {
  return "42" + o.nsp + "," + std::to_string(ack) +
         "[\"join_report\",{\"reportId\":" + std::to_string(report) + "}]";
}

std::string connect_packet(const Options& o) {
  return "40" + o.nsp + ",{\"token\":\"" + o.token + "\"}";
}

// ---- WebSocket clients (Socket.IO over WebSocket, or raw for the ceiling) ----

const std::string kPong = "3";
const std::string kEmpty;

using Ws = websocket::stream<beast::tcp_stream>;

awaitable<std::string> ws_read(Ws& ws, beast::flat_buffer& buffer) {
  buffer.clear();
  co_await ws.async_read(buffer, use_awaitable);
  co_return beast::buffers_to_string(buffer.data());
}

// The next message that is not an Engine.IO ping; pings are answered on the way.
awaitable<std::string> ws_read_packet(Ws& ws, beast::flat_buffer& buffer) {
  for (;;) {
    auto message = co_await ws_read(ws, buffer);
    if (message != "2") co_return message;
    co_await ws.async_write(asio::buffer(kPong), use_awaitable);
  }
}

// The next message that is not an event: the answer to a request, which a room's events (such
// as reportd's report.viewers) may precede.
awaitable<std::string> ws_read_reply(Ws& ws, beast::flat_buffer& buffer,
                                     const std::string& event_prefix) {
  for (;;) {
    auto message = co_await ws_read_packet(ws, buffer);
    if (!message.starts_with(event_prefix)) co_return message;
  }
}

// What a client's session tells the client about itself.
struct Session {
  bool first;           // the client's first session: its join counts in Counters::joined
  bool joined = false;  // the session got as far as joining its report
};

// One Socket.IO session over WebSocket (or a raw WebSocket for the ceiling): connects, signs
// in, joins `report`, and records deliveries until the connection ends (by an exception).
awaitable<void> ws_session(const Options& o, int index, std::int64_t report, bool stalled,
                           Results& results, Counters& counters, Churn& churn, Session& session) {
  Ws ws(co_await asio::this_coro::executor);
  co_await connect_from(beast::get_lowest_layer(ws), o, o.sources[index % o.sources.size()]);
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  const bool raw = o.protocol == "raw-ws";
  // GCC 12 mishandles temporaries inside co_await expressions (destroying some twice), so
  // every string sent below is a named local.
  const std::string target = raw ? std::string("/") : o.path + "?EIO=4&transport=websocket";
  const std::string connect = connect_packet(o), join = join_packet(o, report, 1);
  const std::string connected_prefix = "40" + o.nsp + ",",
                    ack_prefix = "43" + o.nsp + ",1[{\"ok\":true";
  co_await ws.async_handshake(o.host, target, use_awaitable);
  beast::flat_buffer buffer;
  const std::string event_prefix = "42" + o.nsp + ",[\"comment.created\"";
  const std::string any_event_prefix = "42" + o.nsp + ",[";
  if (!raw) {
    auto open = co_await ws_read(ws, buffer);
    if (!open.starts_with("0{")) throw std::runtime_error("no open packet");
    co_await ws.async_write(asio::buffer(connect), use_awaitable);
    auto connected = co_await ws_read_packet(ws, buffer);
    if (!connected.starts_with(connected_prefix)) throw std::runtime_error("refused");
    co_await ws.async_write(asio::buffer(join), use_awaitable);
    auto ack = co_await ws_read_reply(ws, buffer, any_event_prefix);
    if (!ack.starts_with(ack_prefix)) throw std::runtime_error("join refused");
  }
  session.joined = true;
  if (session.first) ++counters.joined;
  if (stalled) {
    // Never reads again: the server must cut it off without slowing the others.
    asio::steady_timer forever(co_await asio::this_coro::executor, std::chrono::hours(24));
    co_await forever.async_wait(use_awaitable);
    co_return;
  }
  ++counters.connected;
  struct Disconnect {
    Counters& counters;
    ~Disconnect() { --counters.connected; }
  } disconnect{counters};
  Churn::Registration registration(churn, index, beast::get_lowest_layer(ws).socket());
  for (;;) {
    auto message = co_await ws_read_packet(ws, buffer);
    if (raw || message.starts_with(event_prefix)) {
      if (auto sent = stamp_of(message)) results.record(now_micros() - *sent);
    }
  }
}

// A WebSocket client: one session, or with --churn a new session whenever one ends.
awaitable<void> ws_client(const Options& o, int index, std::int64_t report, bool stalled,
                          Results& results, Counters& counters, Churn& churn) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (bool first = true;; first = false) {
    Session session{first};
    try {
      co_await ws_session(o, index, report, stalled, results, counters, churn, session);
    } catch (const std::exception&) {
    }
    const bool dropped = std::exchange(churn.dropped[index], 0) != 0;
    if (!session.joined) ++(first ? counters.failed : counters.reconnect_failures);
    if (!dropped) ++counters.closed;
    if (o.churn <= 0) co_return;
    if (!dropped) {
      // Ended by the server or refused: wait a little, as socket.io-client does.
      pause.expires_after(std::chrono::seconds(1));
      co_await pause.async_wait(use_awaitable);
    }
    ++counters.reconnects;
  }
}

// Drops the connections of a fraction o.churn of the clients per second, at random.
awaitable<void> churn_clients(const Options& o, Churn& churn) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  std::mt19937 rng(std::random_device{}());
  constexpr auto kTick = std::chrono::milliseconds(100);
  double owed = 0;
  for (;;) {
    tick.expires_after(kTick);
    co_await tick.async_wait(use_awaitable);
    owed += o.churn * o.clients * std::chrono::duration<double>(kTick).count();
    for (int tries = 0; owed >= 1 && tries < 100; ++tries) {
      if (churn.drop(static_cast<int>(rng() % o.clients))) owed -= 1;
    }
    owed = std::min(owed, 1.0);  // too few connected clients: skip, rather than burst later
  }
}

// ---- Long-polling clients ----

struct Polling {
  beast::tcp_stream get;
  beast::tcp_stream post;
  std::string sid;
};

awaitable<std::string> http_call(beast::tcp_stream& stream, const Options& o, http::verb verb,
                                 const std::string& target, const std::string& body = kEmpty) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, o.host);
  if (verb == http::verb::post) req.set(http::field::content_type, "text/plain;charset=UTF-8");
  req.body() = body;
  req.prepare_payload();
  co_await http::async_write(stream, req, use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(stream, buffer, res, use_awaitable);
  if (res.result() != http::status::ok)
    throw std::runtime_error("HTTP " + std::to_string(res.result_int()));
  co_return std::move(res.body());
}

// A poll connection's input, and when the kernel received the latest of it.
struct PollInput {
  std::string bytes;
  std::int64_t arrived_us = 0;  // unix µs, from SO_TIMESTAMPNS
};

// The kernel's receive time of what a recvmsg read (TCP gives the last segment's), in unix µs.
std::optional<std::int64_t> receive_time(msghdr& msg) {
  for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
    }
  }
  return std::nullopt;
}

// Reads more of a poll connection's input onto the end of `in`, with its receive time. recvmsg
// is called directly (Asio's reads drop control messages); the socket is waited for only after
// it said EAGAIN, so that the readiness edge (Asio's epoll is edge-triggered) is never one that
// this single-threaded process already consumed.
awaitable<void> read_more(tcp::socket& socket, PollInput& in) {
  // An answer is a few hundred bytes; a larger one takes more reads. (resize() zeroes the chunk
  // on every read, so it is kept small.)
  constexpr std::size_t kChunk = 4 * 1024;
  for (;;) {
    const auto had = in.bytes.size();
    in.bytes.resize(had + kChunk);
    iovec iov{in.bytes.data() + had, kChunk};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const auto n = ::recvmsg(socket.native_handle(), &msg, MSG_DONTWAIT);
    in.bytes.resize(had + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      if (auto at = receive_time(msg)) in.arrived_us = *at;
      co_return;
    }
    if (n == 0) throw std::runtime_error("connection closed");
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "recvmsg");
    }
    co_await socket.async_wait(tcp::socket::wait_read, use_awaitable);
  }
}

// The value of Content-Length in a response head, matched without regard to case.
std::size_t content_length(std::string_view head) {
  static constexpr std::string_view kName = "\r\ncontent-length:";
  const auto at =
      std::search(head.begin(), head.end(), kName.begin(), kName.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  if (at == head.end()) throw std::runtime_error("answer without Content-Length");
  auto value = head.substr(at - head.begin() + kName.size());
  value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
  std::size_t length = 0;
  if (std::from_chars(value.data(), value.data() + value.size(), length).ec != std::errc{})
    throw std::runtime_error("bad Content-Length");
  return length;
}

// One poll: the request, written as prepared, and its answer, read with no HTTP library. Both
// servers answer a poll with a Content-Length body. A poll is the hot path of (d): Beast's
// parser, fields and composed operations here cost the client side about as much as the server
// spends on its answer, and a load generator slower than the server measures itself.
//
// The next poll waits behind whatever else is ready in this process: a broadcast's answers reach
// the clients together, and each one's arrival is recorded before any of them polls again (a
// poll costs the client a send through the loopback, the server's receiving side included).
awaitable<std::string> poll(tcp::socket& socket, const std::string& request, PollInput& input) {
  co_await asio::post(socket.get_executor(), use_awaitable);
  co_await asio::async_write(socket, asio::buffer(request), use_awaitable);
  auto& in = input.bytes;
  std::size_t head_end;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) co_await read_more(socket, input);
  const std::string_view head(in.data(), head_end);
  if (!head.starts_with("HTTP/1.1 200 ")) {
    throw std::runtime_error("poll answered " + std::string(head.substr(0, head.find('\r'))));
  }
  const auto body_at = head_end + 4, length = content_length(head);
  while (in.size() < body_at + length) co_await read_more(socket, input);
  std::string body = in.substr(body_at, length);
  in.erase(0, body_at + length);
  co_return body;
}

// The packets of a polling answer, which the record separator joins.
std::vector<std::string_view> packets_of(std::string_view payload) {
  std::vector<std::string_view> packets;
  while (!payload.empty()) {
    const auto end = payload.find('\x1e');
    packets.push_back(payload.substr(0, end));
    payload = end == std::string_view::npos ? "" : payload.substr(end + 1);
  }
  return packets;
}

// With --arrival kernel, has the kernel stamp what `socket` receives (see PollInput).
void stamp_arrivals(const Options& o, tcp::socket& socket) {
  if (o.arrival != "kernel") return;
  const int on = 1;
  if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
    throw std::system_error(errno, std::generic_category(), "SO_TIMESTAMPNS");
  }
}

std::int64_t arrival_of(const Options& o, const PollInput& input) {
  return o.arrival == "kernel" ? input.arrived_us : now_micros();
}

// A long-polling client of the ceiling: GET /poll?open makes it a recipient, then each GET /poll
// is held until a broadcast and answered with the messages that came, each one a delivery.
awaitable<void> raw_polling_client(const Options& o, int index, Results& results,
                                   Counters& counters) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  bool joined = false;
  try {
    co_await connect_from(stream, o, o.sources[index % o.sources.size()]);
    const std::string open_target = "/poll?open";
    const auto opened = co_await http_call(stream, o, http::verb::get, open_target);
    if (opened != "ok") {
      throw std::runtime_error("not a long-polling server");
    }
    stamp_arrivals(o, stream.socket());
    joined = true;
    ++counters.joined;
    const std::string poll_request = "GET /poll HTTP/1.1\r\nHost: " + o.host + "\r\n\r\n";
    PollInput input;
    for (;;) {
      const auto payload = co_await poll(stream.socket(), poll_request, input);
      const auto arrived = arrival_of(o, input);
      const auto packets = packets_of(payload);  // named: GCC 12 and temporaries across co_await
      for (const auto packet : packets) {
        if (auto sent = stamp_of(packet)) results.record(arrived - *sent);
      }
    }
  } catch (const std::exception&) {
    if (!joined) ++counters.failed;
    ++counters.closed;
  }
}

awaitable<void> polling_client(const Options& o, int index, std::int64_t report, bool stalled,
                               Results& results, Counters& counters) {
  auto executor = co_await asio::this_coro::executor;
  Polling p{beast::tcp_stream(executor), beast::tcp_stream(executor), {}};
  bool joined = false;
  try {
    const auto& source = o.sources[index % o.sources.size()];
    co_await connect_from(p.get, o, source);
    co_await connect_from(p.post, o, source);
    const std::string base = o.path + "?EIO=4&transport=polling";
    const std::string connect = connect_packet(o), join = join_packet(o, report, 1);
    const std::string connected_prefix = "40" + o.nsp + ",",
                      ack_prefix = "43" + o.nsp + ",1[{\"ok\":true";
    auto open = co_await http_call(p.get, o, http::verb::get, base);
    auto sid_at = open.find("\"sid\":\"");
    if (sid_at == std::string::npos) throw std::runtime_error("no sid");
    p.sid = open.substr(sid_at + 7, open.find('"', sid_at + 7) - sid_at - 7);
    const std::string target = base + "&sid=" + p.sid;
    co_await http_call(p.post, o, http::verb::post, target, connect);
    const std::string event_prefix = "42" + o.nsp + ",[\"comment.created\"";
    bool connected = false;
    const std::string poll_request = "GET " + target + " HTTP/1.1\r\nHost: " + o.host + "\r\n\r\n";
    PollInput input;
    stamp_arrivals(o, p.get.socket());
    for (;;) {
      const auto payload = co_await poll(p.get.socket(), poll_request, input);
      const auto arrived = arrival_of(o, input);
      const auto packets = packets_of(payload);  // named: GCC 12 and temporaries across co_await
      for (const auto packet : packets) {
        if (packet == "2") {
          co_await http_call(p.post, o, http::verb::post, target, kPong);
        } else if (!connected && packet.starts_with(connected_prefix)) {
          connected = true;
          co_await http_call(p.post, o, http::verb::post, target, join);
        } else if (!joined && packet.starts_with(ack_prefix)) {
          joined = true;
          ++counters.joined;
          if (stalled) {
            asio::steady_timer forever(executor, std::chrono::hours(24));
            co_await forever.async_wait(use_awaitable);
          }
        } else if (packet.starts_with(event_prefix)) {
          if (auto sent = stamp_of(packet)) results.record(arrived - *sent);
        } else if (packet.starts_with("44") || packet == "1") {
          throw std::runtime_error("refused or closed");
        }
      }
    }
  } catch (const std::exception&) {
    if (!joined) ++counters.failed;
    ++counters.closed;
  }
}

std::string results_json(Results& results, bool reset) {
  std::lock_guard lock(results.mutex);
  auto out = "\"deliveries\":" + std::to_string(results.deliveries) +
             ",\"latency\":" + results.latency.to_json();
  if (reset) {
    results.latency.clear();
    results.deliveries = 0;
  }
  return out;
}

int run_clients(const Options& o) {
  asio::io_context ioc;
  Results results;
  Counters counters;
  Churn churn(o.clients);
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::milliseconds(o.deadline_ms);
  const int per_room = o.room_size > 0 ? o.room_size : o.clients;
  const int stall_every =
      o.stalled_fraction > 0 ? static_cast<int>(1.0 / o.stalled_fraction + 0.5) : 0;

  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        asio::steady_timer pause(co_await asio::this_coro::executor);
        for (int i = 0; i < o.clients && Clock::now() < deadline; ++i) {
          while (i - counters.joined - counters.failed >= o.concurrency &&
                 Clock::now() < deadline) {
            pause.expires_after(std::chrono::milliseconds(1));
            co_await pause.async_wait(use_awaitable);
          }
          const auto report = o.reports[(i / per_room) % o.reports.size()];
          const bool stalled = stall_every > 0 && i % stall_every == stall_every - 1;
          if (o.protocol == "socketio-polling") {
            asio::co_spawn(ioc, polling_client(o, i, report, stalled, results, counters),
                           asio::detached);
          } else if (o.protocol == "raw-polling") {
            asio::co_spawn(ioc, raw_polling_client(o, i, results, counters), asio::detached);
          } else {
            asio::co_spawn(ioc, ws_client(o, i, report, stalled, results, counters, churn),
                           asio::detached);
          }
        }
        while (counters.joined + counters.failed < o.clients && Clock::now() < deadline) {
          pause.expires_after(std::chrono::milliseconds(1));
          co_await pause.async_wait(use_awaitable);
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        std::printf(
            "{\"event\":\"ready\",\"clients\":%d,\"joined\":%d,\"failed\":%d,\"stalled\":%d,"
            "\"connect_seconds\":%.3f,\"clients_per_second\":%.0f}\n",
            o.clients, counters.joined.load(), counters.failed.load(),
            stall_every ? o.clients / stall_every : 0, seconds,
            counters.joined / std::max(seconds, 1e-9));
        std::fflush(stdout);
        if (o.churn > 0) co_await churn_clients(o, churn);
      },
      asio::detached);

  // Commands arrive on stdin; a thread reads them and hands them to the io_context.
  std::thread commands([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "report") {
        asio::post(ioc, [&] {
          std::printf(
              "{\"event\":\"report\",\"joined\":%d,\"closed\":%d,\"connected\":%d,"
              "\"reconnects\":%d,\"reconnect_failures\":%d,%s}\n",
              counters.joined.load(), counters.closed.load(), counters.connected.load(),
              counters.reconnects.load(), counters.reconnect_failures.load(),
              results_json(results, true).c_str());
          std::fflush(stdout);
        });
      } else if (line == "quit") {
        break;
      }
    }
    asio::post(ioc, [&] { ioc.stop(); });
  });
  commands.detach();  // blocked in getline at most until the process exits
  ioc.run_until(deadline);
  std::printf("{\"event\":\"done\",\"joined\":%d,\"closed\":%d,%s}\n", counters.joined.load(),
              counters.closed.load(), results_json(results, false).c_str());
  std::fflush(stdout);
  std::_Exit(0);  // skip tearing down thousands of sockets one by one
}

// ---- Poster ----

int run_post(const Options& o) {
  asio::io_context ioc;
  std::atomic<int> posted{0}, failed{0}, next{0};
  std::mt19937 rng(12345);
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::milliseconds(o.deadline_ms);
  const std::string filler(static_cast<std::size_t>(std::max(0, o.size)), 'x');

  auto poster = [&]() -> awaitable<void> {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    co_await connect_from(stream, o, o.sources.front());
    asio::steady_timer pace(co_await asio::this_coro::executor);
    for (;;) {
      const int n = next++;
      if (n >= o.count || Clock::now() >= deadline) co_return;
      if (o.rate > 0) {
        pace.expires_at(started +
                        std::chrono::microseconds(static_cast<std::int64_t>(n * 1e6 / o.rate)));
        co_await pace.async_wait(use_awaitable);
      }
      const auto report =
          o.random ? o.reports[rng() % o.reports.size()] : o.reports[n % o.reports.size()];
      const bool raw = !o.broadcast_path.empty();
      const std::string target =
          raw ? o.broadcast_path : "/api/reports/" + std::to_string(report) + "/comments";
      const std::string text = "t=" + std::to_string(now_micros()) + " " + filler;
      http::request<http::string_body> req{http::verb::post, target, 11};
      req.set(http::field::host, o.host);
      req.set(http::field::content_type, raw ? "text/plain" : "application/json");
      req.set(http::field::authorization, "Bearer " + o.token);
      req.body() = raw ? text : "{\"comment\":\"" + text + "\"}";
      req.prepare_payload();
      co_await http::async_write(stream, req, use_awaitable);
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      co_await http::async_read(stream, buffer, res, use_awaitable);
      (res.result_int() == 201 || (raw && res.result_int() == 200) ? posted : failed)++;
    }
  };
  for (int i = 0; i < o.in_flight; ++i) {
    asio::co_spawn(ioc, poster(), [&](std::exception_ptr e) {
      if (e) ++failed;
    });
  }
  ioc.run_until(deadline);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("{\"posted\":%d,\"failed\":%d,\"seconds\":%.3f,\"per_second\":%.1f}\n", posted.load(),
              failed.load(), seconds, posted / std::max(seconds, 1e-9));
  return failed == 0 ? 0 : 1;
}

template <class T>
std::vector<T> split(const std::string& text) {
  std::vector<T> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    if constexpr (std::is_same_v<T, std::string>) {
      out.push_back(item);
    } else {
      out.push_back(static_cast<T>(std::stoll(item)));
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string reports = "1", sources = "127.0.0.1";
  CLI::App app{"reportd benchmark load generator"};
  app.require_subcommand(1);
  for (auto* sub : {app.add_subcommand("clients", "open clients and count deliveries"),
                    app.add_subcommand("post", "post comments through REST")}) {
    sub->add_option("--host", o.host);
    sub->add_option("--port", o.port);
    sub->add_option("--path", o.path);
    sub->add_option("--nsp", o.nsp);
    sub->add_option("--token", o.token);
    sub->add_option("--reports", reports, "comma-separated report ids");
    sub->add_option("--sources", sources, "comma-separated 127.x source addresses");
    sub->add_option("--deadline-ms", o.deadline_ms)->check(CLI::Range(100, 86'400'000));
  }
  auto* clients = app.get_subcommand("clients");
  clients->add_option("--protocol", o.protocol)
      ->check(CLI::IsMember({"socketio-ws", "socketio-polling", "raw-ws", "raw-polling"}));
  clients
      ->add_option("--arrival", o.arrival,
                   "polling: a delivery arrives when the kernel received it (kernel) "
                   "or when this process has read it (client)")
      ->check(CLI::IsMember({"client", "kernel"}));
  clients->add_option("--clients", o.clients)->check(CLI::Range(1, 19'000));
  clients->add_option("--room-size", o.room_size)->check(CLI::Range(0, 19'000));
  clients->add_option("--stalled-fraction", o.stalled_fraction)->check(CLI::Range(0.0, 1.0));
  clients->add_option("--concurrency", o.concurrency)->check(CLI::Range(1, 5000));
  clients->add_option("--churn", o.churn, "fraction of the clients that reconnect per second")
      ->check(CLI::Range(0.0, 1.0));
  auto* post = app.get_subcommand("post");
  post->add_option("--count", o.count)->check(CLI::Range(1, 10'000'000));
  post->add_option("--in-flight", o.in_flight)->check(CLI::Range(1, 256));
  post->add_option("--rate", o.rate)->check(CLI::Range(0.0, 1e6));
  post->add_option("--size", o.size)->check(CLI::Range(0, 100'000));
  post->add_flag("--random", o.random, "pick reports at random (seeded)");
  post->add_option("--broadcast-path", o.broadcast_path, "post raw text bodies to this path");
  CLI11_PARSE(app, argc, argv);
  o.reports = split<std::int64_t>(reports);
  o.sources = split<std::string>(sources);
  if (*clients) return run_clients(o);
  return run_post(o);
}
