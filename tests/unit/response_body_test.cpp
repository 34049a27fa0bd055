#include "net/response_body.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <memory>
#include <sstream>
#include <string>

namespace http = boost::beast::http;
using net::ResponseBody;

namespace {

std::string serialized(http::response<ResponseBody>& response) {
  response.prepare_payload();
  std::ostringstream out;
  out << response;
  return out.str();
}

}  // namespace

TEST(ResponseBody, WritesOwnedBytesThenSharedPiecesWithTheirTotalLength) {
  http::response<ResponseBody> response(http::status::ok, 11);
  response.body().owned = "ab";
  const auto shared = std::make_shared<const std::string>("cd");
  response.body().shared = {shared, std::make_shared<const std::string>(), shared};
  const auto wire = serialized(response);
  EXPECT_NE(wire.find("Content-Length: 6\r\n"), std::string::npos) << wire;
  EXPECT_TRUE(wire.ends_with("\r\n\r\nabcdcd")) << wire;
  // Written from the shared pieces, not from copies.
  EXPECT_EQ(*shared, "cd");
}

TEST(ResponseBody, AnEmptyBodyHasLengthZeroAndNoContent) {
  http::response<ResponseBody> response(http::status::no_content, 11);
  const auto wire = serialized(response);
  EXPECT_TRUE(wire.ends_with("\r\n\r\n")) << wire;
  EXPECT_EQ(ResponseBody::size(response.body()), 0u);
}

TEST(ResponseBody, SizeCountsEveryPiece) {
  ResponseBody::value_type body{"xyz", {std::make_shared<const std::string>("12345")}};
  EXPECT_EQ(ResponseBody::size(body), 8u);
}
