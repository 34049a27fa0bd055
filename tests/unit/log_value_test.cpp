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

TEST(LogValue, ReplacesBytesThatAreNotUtf8SoThatTheLineStaysUtf8) {
  EXPECT_EQ(base::escape_for_log("a\xff"
                                 "b\xc3"),
            "a\\ufffdb\\ufffd");
  EXPECT_EQ(base::escape_for_log("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd") << "a surrogate";
  EXPECT_EQ(base::escape_for_log("\xc0\xaf"), "\\ufffd\\ufffd") << "an overlong '/'";
}

TEST(LogValue, NeverCutsACharacterInTwo) {
  // 255 bytes, then a 2-byte character that would end past the limit.
  const std::string text = std::string(base::kMaxLoggedValueBytes - 1, 'a') + "é";
  EXPECT_EQ(base::escape_for_log(text),
            std::string(base::kMaxLoggedValueBytes - 1, 'a') + "...(2 more bytes)");
}
