#include <gtest/gtest.h>

#include "engineio/errors.hpp"
#include "engineio/query.hpp"

using namespace engineio;

TEST(Query, ReadsEngineIoParameters) {
  auto q = parse_query("/engine.io/?EIO=4&transport=polling&t=Nx1&sid=abc-_1");
  EXPECT_EQ(q.eio, "4");
  EXPECT_EQ(q.transport, "polling");
  EXPECT_EQ(q.sid, "abc-_1");
}

TEST(Query, MissingParametersAreEmpty) {
  auto q = parse_query("/engine.io/");
  EXPECT_FALSE(q.eio);
  EXPECT_FALSE(q.transport);
  EXPECT_FALSE(q.sid);
}

TEST(Query, DecodesPercentEscapes) {
  auto q = parse_query("/socket.io/?EIO=4&transport=websocket&sid=a%2Db");
  EXPECT_EQ(q.sid, "a-b");
}

TEST(Query, DecodesEscapedKeysAndPlusAsASpaceInValues) {
  auto q = parse_query("/socket.io/?%45IO=4&transport=web%73ocket&%73id=a+b");
  EXPECT_EQ(q.eio, "4");
  EXPECT_EQ(q.transport, "websocket");
  EXPECT_EQ(q.sid, "a b");
}

TEST(Query, UnparsableTargetGivesEmptyQuery) {
  auto q = parse_query("http://[bad");
  EXPECT_FALSE(q.eio);
}

TEST(Errors, UseProtocolCodesAndMessages) {
  auto r = error_response(Error::unknown_sid);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(error_response(Error::unsupported_protocol_version).body,
            R"({"code":5,"message":"Unsupported protocol version"})");
  EXPECT_EQ(error_response(Error::forbidden, "go away", 403).status, 403u);
}
