// net's watch of a held request (HttpExchange::on_client_gone) over real loopback connections:
// a handler holds each request and asks to hear when its client goes away; the test plays the
// client on a keep-alive connection, and one io_context, run by the test thread, carries both.

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engineio_harness.hpp"
#include "net/http_handler.hpp"
#include "net/http_server.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Holds every request, and counts, per request, the calls that say its client went away.
class HoldingHandler final : public net::HttpHandler {
 public:
  void handle(net::HttpRequest&&, net::HttpExchangePtr exchange) override {
    const auto number = held.size();
    gone.push_back(0);
    exchange->on_client_gone([this, number] { ++gone[number]; });
    held.push_back(std::move(exchange));
  }
  std::size_t max_body_bytes(const net::HttpRequest&) const override { return 0; }

  std::vector<net::HttpExchangePtr> held;
  std::vector<int> gone;  // by request, in arrival order
};

class HeldRequestTest : public ::testing::Test, public harness::IoDriver {
 protected:
  HeldRequestTest() { port_ = server_.listen("127.0.0.1", 0); }

  void connect() {
    client_.connect({asio::ip::address_v4::loopback(), port_});
    read_from_server();
  }
  void send_request() {
    asio::write(client_, asio::buffer(std::string("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")));
  }
  // Sends a request and waits until the handler holds it.
  bool send_and_hold() {
    const auto before = handler_.held.size();
    send_request();
    return run_until([&] { return handler_.held.size() == before + 1; });
  }
  // Answers the latest held request and waits until the client has the whole answer.
  bool answer_latest() {
    handler_.held.back()->respond(net::HttpResponse::text(200, "ok"));
    return run_until([&] { return from_server_.find("\r\n\r\nok") != std::string::npos; }) &&
           (from_server_.clear(), true);
  }
  void read_from_server() {
    client_.async_read_some(asio::buffer(buffer_),
                            [this](boost::system::error_code ec, std::size_t n) {
                              if (ec) return;
                              from_server_.append(buffer_.data(), n);
                              read_from_server();
                            });
  }
  void close_client() {
    boost::system::error_code ignored;
    client_.close(ignored);
  }

  HoldingHandler handler_;
  net::HttpServer server_{ioc_, {}, handler_};
  unsigned short port_ = 0;
  tcp::socket client_{ioc_};
  std::array<char, 4096> buffer_{};
  std::string from_server_;
};

TEST_F(HeldRequestTest, AClientThatLeavesWhileItsRequestIsHeldIsReportedOnce) {
  connect();
  ASSERT_TRUE(send_and_hold());
  close_client();
  ASSERT_TRUE(run_until([&] { return handler_.gone[0] > 0; }));
  run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(handler_.gone, std::vector<int>{1});
}

TEST_F(HeldRequestTest, TheSameForARequestHeldAfterOthersWereAnsweredOnItsConnection) {
  connect();
  for (int answered = 0; answered < 2; ++answered) {
    ASSERT_TRUE(send_and_hold());
    ASSERT_TRUE(answer_latest());
  }
  ASSERT_TRUE(send_and_hold());
  close_client();
  ASSERT_TRUE(run_until([&] { return handler_.gone[2] > 0; }))
      << "the third request's client left unnoticed";
  run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(handler_.gone, (std::vector<int>{0, 0, 1})) << "answered requests hear nothing";
}

TEST_F(HeldRequestTest, AClientThatLeavesAfterItsAnswerIsNotReported) {
  connect();
  ASSERT_TRUE(send_and_hold());
  ASSERT_TRUE(answer_latest());
  close_client();
  run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(handler_.gone, std::vector<int>{0});
}

}  // namespace
