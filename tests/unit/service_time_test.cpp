#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "service/representation.hpp"

using namespace std::chrono;
using service::format_time;
using service::TimeStyle;

namespace {

store::Timestamp utc(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms = 0) {
  return time_point_cast<milliseconds>(sys_days{year{y} / month{mo} / day{d}}) + hours{h} +
         minutes{mi} + seconds{s} + milliseconds{ms};
}

}  // namespace

TEST(RomeTime, UtcKeepsTheStoredInstantWithMillisecondsAndZ) {
  EXPECT_EQ(format_time(utc(2026, 1, 15, 9, 5, 7, 42), TimeStyle::utc), "2026-01-15T09:05:07.042Z");
}

TEST(RomeTime, WinterIsOneHourAhead) {
  EXPECT_EQ(format_time(utc(2026, 1, 15, 9, 5, 7, 42), TimeStyle::rome),
            "2026-01-15T10:05:07.042+01:00");
}

TEST(RomeTime, SummerIsTwoHoursAhead) {
  EXPECT_EQ(format_time(utc(2026, 7, 1, 12, 0, 0), TimeStyle::rome),
            "2026-07-01T14:00:00.000+02:00");
}

// Clocks go forward at 01:00 UTC on 29 March 2026: 02:00 CET becomes 03:00 CEST.
TEST(RomeTime, SpringForwardOn29March2026) {
  EXPECT_EQ(format_time(utc(2026, 3, 29, 0, 59, 59, 999), TimeStyle::rome),
            "2026-03-29T01:59:59.999+01:00");
  EXPECT_EQ(format_time(utc(2026, 3, 29, 1, 0, 0), TimeStyle::rome),
            "2026-03-29T03:00:00.000+02:00");
}

// Clocks go back at 01:00 UTC on 25 October 2026: 03:00 CEST becomes 02:00 CET, so local
// 02:30 happens twice and only the offset tells them apart.
TEST(RomeTime, FallBackOn25October2026) {
  EXPECT_EQ(format_time(utc(2026, 10, 25, 0, 30, 0), TimeStyle::rome),
            "2026-10-25T02:30:00.000+02:00");
  EXPECT_EQ(format_time(utc(2026, 10, 25, 0, 59, 59, 999), TimeStyle::rome),
            "2026-10-25T02:59:59.999+02:00");
  EXPECT_EQ(format_time(utc(2026, 10, 25, 1, 0, 0), TimeStyle::rome),
            "2026-10-25T02:00:00.000+01:00");
  EXPECT_EQ(format_time(utc(2026, 10, 25, 1, 30, 0), TimeStyle::rome),
            "2026-10-25T02:30:00.000+01:00");
}

TEST(RomeTime, NewYearCrossesTheDateLineLocally) {
  EXPECT_EQ(format_time(utc(2026, 12, 31, 23, 30, 0), TimeStyle::rome),
            "2027-01-01T00:30:00.000+01:00");
}

TEST(CommentJson, HasExactlyTheSpecFieldsInOrder) {
  store::Comment comment{7, 3, 12, "On my way", utc(2026, 3, 29, 1, 0, 0, 5)};
  EXPECT_EQ(boost::json::serialize(service::comment_json(comment, TimeStyle::utc)),
            R"({"id":7,"comment":"On my way","commentOwner_id":12,)"
            R"("creation_date":"2026-03-29T01:00:00.005Z","report_id":3})");
  EXPECT_EQ(service::comment_json(comment, TimeStyle::rome).at("creation_date").as_string(),
            "2026-03-29T03:00:00.005+02:00");
}
