#include "net/cors.hpp"

#include <gtest/gtest.h>

using net::CorsPolicy;

namespace {

std::optional<std::string> header(const net::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

net::HttpRequest preflight_from(std::string origin) {
  net::HttpRequest req;
  req.method = "OPTIONS";
  req.headers = {{"origin", std::move(origin)},
                 {"access-control-request-method", "POST"},
                 {"access-control-request-headers", "content-type"}};
  return req;
}

}  // namespace

TEST(Cors, ParsesCommaSeparatedList) {
  auto policy = CorsPolicy::from_list(" https://a.example , http://b.example,");
  EXPECT_TRUE(policy.allows("https://a.example"));
  EXPECT_TRUE(policy.allows("http://b.example"));
  EXPECT_FALSE(policy.allows("http://c.example"));
  EXPECT_FALSE(policy.allows(""));
}

TEST(Cors, EmptyListAndStarAllowEverybodyWithoutCredentials) {
  for (auto list : {"", "*", "http://a.example, *"}) {
    auto policy = CorsPolicy::from_list(list);
    EXPECT_TRUE(policy.allows("http://a.example")) << list;
    net::HttpResponse response;
    policy.decorate("http://a.example", response);
    EXPECT_EQ(header(response, "Access-Control-Allow-Origin"), "*") << list;
    EXPECT_FALSE(header(response, "Access-Control-Allow-Credentials")) << list;
    EXPECT_TRUE(policy.allows_websocket("http://evil.example")) << list;
  }
}

TEST(Cors, ListRefusesWebSocketsFromOtherOriginsButNotWithoutOrigin) {
  auto policy = CorsPolicy::from_list("http://a.example");
  EXPECT_TRUE(policy.allows_websocket("http://a.example"));
  EXPECT_FALSE(policy.allows_websocket("http://evil.example"));
  EXPECT_TRUE(policy.allows_websocket(std::nullopt));
}

TEST(Cors, DecoratesAllowedOriginWithCredentials) {
  auto policy = CorsPolicy::from_list("http://a.example");
  net::HttpResponse allowed;
  policy.decorate("http://a.example", allowed);
  EXPECT_EQ(header(allowed, "Access-Control-Allow-Origin"), "http://a.example");
  EXPECT_EQ(header(allowed, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(allowed, "Vary"), "Origin");
  net::HttpResponse refused;
  policy.decorate("http://evil.example", refused);
  EXPECT_TRUE(refused.headers.empty());
}

TEST(Cors, AnswersPreflight) {
  auto policy = CorsPolicy::from_list("http://a.example");
  auto ok = policy.preflight(preflight_from("http://a.example"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204u);
  EXPECT_NE(header(*ok, "Access-Control-Allow-Methods")->find("POST"), std::string::npos);
  EXPECT_EQ(header(*ok, "Access-Control-Allow-Headers"), "content-type");
  auto refused = policy.preflight(preflight_from("http://evil.example"));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(header(*refused, "Access-Control-Allow-Origin"));
  net::HttpRequest get;
  get.method = "GET";
  EXPECT_FALSE(policy.preflight(get));
}
