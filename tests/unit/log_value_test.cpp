#include "base/log_value.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

TEST(LogValue, QuotesAndEscapesSoThatNoInputEndsItsFieldOrLine) {
  const std::string forged = "x\" user_id=1\nlevel=info event=login\r\t\\\x01\x7f";
  EXPECT_EQ(fmt::format("username={}", base::quoted(forged)),
            R"(username="x\" user_id=1\nlevel=info event=login\r\t\\\u0001\u007f")");
}

TEST(LogValue, LeavesUtf8AndPlainTextAlone) {
  EXPECT_EQ(fmt::format("{}", base::quoted("Via Roma é🚧")), "\"Via Roma é🚧\"");
}

TEST(LogValue, CutsLongValuesAndSaysHowMuchWasLeftOut) {
  const std::string huge(base::kMaxLoggedValueBytes + 1000, 'a');
  EXPECT_EQ(base::escape_for_log(huge),
            std::string(base::kMaxLoggedValueBytes, 'a') + "...(1000 more bytes)");
  EXPECT_EQ(base::escape_for_log(std::string(base::kMaxLoggedValueBytes, 'b')),
            std::string(base::kMaxLoggedValueBytes, 'b'));
}
