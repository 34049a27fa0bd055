#include "net/request_id.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

net::HttpRequest with_request_id(std::string value) {
  net::HttpRequest request;
  request.headers.emplace_back("x-request-id", std::move(value));
  return request;
}

TEST(RequestId, KeepsASaneIdTheClientSent) {
  EXPECT_EQ(net::request_id_of(with_request_id("abc-123_X.y")), "abc-123_X.y");
  const std::string longest(net::kMaxRequestIdBytes, 'a');
  EXPECT_EQ(net::request_id_of(with_request_id(longest)), longest);
}

TEST(RequestId, ReplacesAnEmptyLongOrHostileIdWithAFreshOne) {
  for (std::string hostile : {std::string(), std::string(net::kMaxRequestIdBytes + 1, 'a'),
                              std::string("a b"), std::string("a\"b"), std::string("a\nb"),
                              std::string("a\0b", 3), std::string("é"), std::string("a/b")}) {
    EXPECT_FALSE(net::is_sane_request_id(hostile)) << hostile;
    const auto id = net::request_id_of(with_request_id(hostile));
    EXPECT_NE(id, hostile);
    EXPECT_EQ(id.size(), 20u);
    EXPECT_TRUE(net::is_sane_request_id(id)) << id;
  }
}

TEST(RequestId, GeneratesADifferentIdForEachRequestWithoutOne) {
  const auto first = net::request_id_of(net::HttpRequest{});
  const auto second = net::request_id_of(net::HttpRequest{});
  EXPECT_TRUE(net::is_sane_request_id(first));
  EXPECT_NE(first, second);
}

}  // namespace
