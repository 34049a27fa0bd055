// net::json_text writes numbers as JavaScript's JSON.stringify does (the expected strings below
// are what node prints for JSON.stringify of the same values).

#include "net/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <limits>

namespace {

TEST(JsonText, NumbersAsJavaScriptWritesThem) {
  const std::pair<double, const char*> cases[] = {
      {41.9028, "41.9028"},
      {12.4964, "12.4964"},
      {-0.5, "-0.5"},
      {42.0, "42"},
      {-42.0, "-42"},
      {0.0, "0"},
      {-0.0, "0"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e-7, "1e-7"},
      {1.5e-7, "1.5e-7"},
      {0.000001, "0.000001"},
      {123456.789, "123456.789"},
      {1e20, "100000000000000000000"},
      {1e21, "1e+21"},
      {-1.2345e25, "-1.2345e+25"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {9007199254740993.0, "9007199254740992"},
      {std::numeric_limits<double>::quiet_NaN(), "null"},
      {std::numeric_limits<double>::infinity(), "null"},
  };
  for (const auto& [number, expected] : cases) {
    EXPECT_EQ(net::json_number(number), expected);
    EXPECT_EQ(net::json_text(boost::json::value(number)), expected);
  }
}

TEST(JsonText, NestedValuesKeepEverythingElseAsBoostWritesIt) {
  boost::json::value value = {
      {"latitude", 41.9028},
      {"nested", {{"list", boost::json::array{1, -2, 2.5, nullptr, true, "x\"\n\u00e9"}}}},
      {"empty", boost::json::object{}},
      {"none", boost::json::array{}},
      {"big", std::numeric_limits<std::uint64_t>::max()},
      {"quoted \"key\"", 1}};
  const auto text = net::json_text(value);
  EXPECT_EQ(text, R"({"latitude":41.9028,"nested":{"list":[1,-2,2.5,null,true,"x\"\n)"
                  "\u00e9"
                  R"("]},"empty":{},"none":[],"big":18446744073709551615,"quoted \"key\"":1})");
  EXPECT_EQ(boost::json::parse(text), value);
}

}  // namespace
