#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "store/timestamps.hpp"

using namespace std::chrono;
using store::format_timestamp;
using store::parse_timestamp;
using store::Timestamp;

namespace {

Timestamp ts(year_month_day day, milliseconds since_midnight) {
  return Timestamp{sys_days{day}} + since_midnight;
}

}  // namespace

TEST(StoreTimestamps, FormatsUtcWithMillisecondsAndZ) {
  EXPECT_EQ(format_timestamp(ts(2026y / 3 / 29, 59min + 59s + 123ms)), "2026-03-29T00:59:59.123Z");
  EXPECT_EQ(format_timestamp(Timestamp{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(ts(2024y / 2 / 29, 23h + 59min + 59s + 999ms)),
            "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(Timestamp{} - 1ms), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(ts(year{0} / 1 / 1, 0ms)), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(ts(9999y / 12 / 31, 23h + 59min + 59s + 999ms)),
            "9999-12-31T23:59:59.999Z");
  EXPECT_THROW(format_timestamp(ts(10000y / 1 / 1, 0ms)), std::out_of_range);
  EXPECT_THROW(format_timestamp(ts(year{-1} / 12 / 31, 0ms)), std::out_of_range);
}

TEST(StoreTimestamps, ParsesWhatItFormats) {
  for (auto t : {Timestamp{}, Timestamp{} - 1ms, ts(2026y / 3 / 29, 59min + 59s + 123ms),
                 ts(2000y / 2 / 29, 12h + 1ms), ts(1900y / 3 / 1, 7h + 6min + 5s + 40ms)}) {
    auto text = format_timestamp(t);
    auto back = parse_timestamp(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, t) << text;
  }
}

TEST(StoreTimestamps, TextOrderIsTimeOrder) {
  auto a = format_timestamp(ts(2026y / 3 / 29, 9h + 5ms));
  auto b = format_timestamp(ts(2026y / 3 / 29, 9h + 50ms));
  auto c = format_timestamp(ts(2026y / 3 / 29, 10h));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(StoreTimestamps, AcceptsOtherFractionLengths) {
  EXPECT_EQ(parse_timestamp("2026-03-29T00:59:59Z"), ts(2026y / 3 / 29, 59min + 59s));
  EXPECT_EQ(parse_timestamp("2026-03-29T00:59:59.1Z"), ts(2026y / 3 / 29, 59min + 59s + 100ms));
  EXPECT_EQ(parse_timestamp("2026-03-29T00:59:59.12Z"), ts(2026y / 3 / 29, 59min + 59s + 120ms));
  EXPECT_EQ(parse_timestamp("2026-03-29T00:59:59.123456789Z"),
            ts(2026y / 3 / 29, 59min + 59s + 123ms));
  EXPECT_EQ(parse_timestamp("2026-03-29 00:59:59.123z"), ts(2026y / 3 / 29, 59min + 59s + 123ms));
}

TEST(StoreTimestamps, RejectsMalformedText) {
  for (const char* bad :
       {"", "2026-03-29", "2026-03-29T00:59:59", "2026-03-29T00:59:59.123", "2026-03-29T00:59:59.Z",
        "2026-03-29T00:59:59.1234567890Z", "2026-03-29T00:59:59.123+01:00",
        "2026-02-30T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-00-10T00:00:00.000Z",
        "2026-03-29T24:00:00.000Z", "2026-03-29T00:60:00.000Z", "2026-03-29T00:00:60.000Z",
        "2026/03/29T00:00:00.000Z", "2026-03-29X00:00:00.000Z", "20a6-03-29T00:00:00.000Z",
        "2026-03-29T00:00:00.000ZZ", "-026-03-29T00:00:00.000Z"}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}
