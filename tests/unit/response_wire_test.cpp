#include "net/response_wire.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <memory>
#include <string>
#include <vector>

namespace {

std::string body_of(const net::HttpResponse& response) {
  std::vector<boost::asio::const_buffer> buffers;
  net::append_body_buffers(response, buffers);
  std::string out;
  for (const auto& buffer : buffers)
    out.append(static_cast<const char*>(buffer.data()), buffer.size());
  return out;
}

}  // namespace

TEST(ResponseWire, HeadHasStatusLineFieldsAndTheLengthOfOwnedAndSharedBytes) {
  auto response = net::HttpResponse::text(200, "ab");
  const auto shared = std::make_shared<const std::string>("cd");
  response.shared_body = {shared, std::make_shared<const std::string>(), shared};
  response.headers.emplace_back("Access-Control-Allow-Origin", "*");
  const auto head = net::response_head(response, true);
  EXPECT_EQ(head.text,
            "HTTP/1.1 200 OK\r\nServer: reportd\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            "Access-Control-Allow-Origin: *\r\nContent-Length: 6\r\n\r\n");
  EXPECT_EQ(head.dropped_fields, 0u);
  EXPECT_EQ(body_of(response), "abcdcd");
}

TEST(ResponseWire, SharedPiecesAreWrittenFromWhereTheyAreNotCopied) {
  auto response = net::HttpResponse::text(200, {});
  const auto shared = std::make_shared<const std::string>("packet");
  response.shared_body = {shared};
  std::vector<boost::asio::const_buffer> buffers;
  net::append_body_buffers(response, buffers);
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_EQ(buffers[0].data(), shared->data());
}

TEST(ResponseWire, AConnectionNotKeptAliveSaysSo) {
  const auto head = net::response_head(net::HttpResponse::json(404, "{}"), false);
  EXPECT_TRUE(head.text.starts_with("HTTP/1.1 404 Not Found\r\n")) << head.text;
  EXPECT_TRUE(head.text.ends_with("Content-Length: 2\r\nConnection: close\r\n\r\n")) << head.text;
}

TEST(ResponseWire, NoContentAnswersHaveNoLengthAndNoBody) {
  for (unsigned status : {101u, 204u, 304u}) {
    auto response = net::HttpResponse::text(status, "ignored");
    const auto head = net::response_head(response, true);
    EXPECT_EQ(head.text.find("Content-Length"), std::string::npos) << head.text;
    EXPECT_EQ(body_of(response), "") << status;
  }
}

TEST(ResponseWire, FieldsThatCouldSplitTheResponseAreLeftOut) {
  auto response = net::HttpResponse::text(200, "x");
  response.headers.emplace_back("Access-Control-Allow-Origin",
                                "https://a.example\r\nSet-Cookie: x=1");
  response.headers.emplace_back("Bad Name", "v");
  response.headers.emplace_back("", "v");
  response.headers.emplace_back("X-Nul", std::string("a\0b", 3));
  response.headers.emplace_back("Vary", "Origin");
  response.content_type = "text/html\nX: y";
  const auto head = net::response_head(response, true);
  EXPECT_EQ(head.dropped_fields, 5u);
  EXPECT_EQ(head.text,
            "HTTP/1.1 200 OK\r\nServer: reportd\r\nVary: Origin\r\nContent-Length: 1\r\n\r\n");
}

TEST(ResponseWire, FieldRulesFollowRfc9110) {
  EXPECT_TRUE(net::is_valid_field_name("X-Request-Id"));
  EXPECT_TRUE(net::is_valid_field_name("a!#$%&'*+-.^_`|~9"));
  EXPECT_FALSE(net::is_valid_field_name("X:Y"));
  EXPECT_FALSE(net::is_valid_field_name("X\xc3\xa9"));
  EXPECT_TRUE(net::is_valid_field_value("text/plain; q=0.5\tx \xc3\xa9"));
  EXPECT_TRUE(net::is_valid_field_value(""));
  EXPECT_FALSE(net::is_valid_field_value("a\rb"));
  EXPECT_FALSE(net::is_valid_field_value("a\x7f"));
}

TEST(ResponseWire, FramingIsTheConnectionsAloneWhateverTheHandlerSet) {
  auto response = net::HttpResponse::text(200, "abc");
  response.headers.emplace_back("content-length", "1");
  response.headers.emplace_back("Transfer-Encoding", "chunked");
  response.headers.emplace_back("CONNECTION", "keep-alive");
  const auto head = net::response_head(response, false);
  EXPECT_EQ(head.dropped_fields, 3u);
  EXPECT_EQ(head.text,
            "HTTP/1.1 200 OK\r\nServer: reportd\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            "Content-Length: 3\r\nConnection: close\r\n\r\n");
}

TEST(ResponseWire, ContentOnAnAnswerThatHasNoneIsReportedAsDropped) {
  EXPECT_TRUE(net::response_head(net::HttpResponse::text(204, "x"), true).dropped_body);
  EXPECT_FALSE(net::response_head(net::HttpResponse::text(204, ""), true).dropped_body);
  EXPECT_FALSE(net::response_head(net::HttpResponse::text(200, "x"), true).dropped_body);
}
