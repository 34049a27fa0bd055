#include <gtest/gtest.h>

#include <set>

#include "base/base64.hpp"
#include "base/random.hpp"
#include "base/utf8.hpp"

using base::Base64;

TEST(Base64, RoundTripsAllByteValuesInBothAlphabets) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (auto alphabet : {Base64::standard, Base64::url}) {
    for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) {
      auto slice = bytes.substr(0, n);
      auto decoded = base::decode_base64(base::encode_base64(slice, alphabet), alphabet);
      ASSERT_TRUE(decoded) << n;
      EXPECT_EQ(*decoded, slice);
    }
  }
}

TEST(Base64, StandardIsPaddedAndUrlIsNot) {
  const std::string bytes("\x01\x02\x03\x04\xfb\xff", 6);
  EXPECT_EQ(base::encode_base64(bytes.substr(0, 4), Base64::standard), "AQIDBA==");
  EXPECT_EQ(base::encode_base64(bytes.substr(0, 4), Base64::url), "AQIDBA");
  EXPECT_EQ(base::encode_base64(bytes, Base64::standard), "AQIDBPv/");
  EXPECT_EQ(base::encode_base64(bytes, Base64::url), "AQIDBPv_");
}

TEST(Base64, RejectsMalformedStandardInput) {
  EXPECT_FALSE(base::decode_base64("AQIDBA=", Base64::standard));    // truncated padding
  EXPECT_FALSE(base::decode_base64("AQIDBA", Base64::standard));     // padding missing
  EXPECT_FALSE(base::decode_base64("AQID!A==", Base64::standard));   // bad character
  EXPECT_FALSE(base::decode_base64("AQIDBA==x", Base64::standard));  // trailing garbage
  EXPECT_FALSE(base::decode_base64("AQIDBPv_", Base64::standard));   // URL alphabet
}

TEST(Base64, RejectsMalformedUrlInput) {
  EXPECT_FALSE(base::decode_base64("AQIDBA==", Base64::url));  // padding
  EXPECT_FALSE(base::decode_base64("AQIDBPv/", Base64::url));  // standard alphabet
  EXPECT_FALSE(base::decode_base64("AQ ID", Base64::url));     // whitespace
  EXPECT_FALSE(base::decode_base64("AR", Base64::url));        // unused low bits set
}

TEST(Random, TokensAreUrlSafeOfTheRightLengthAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto token = base::random_token(15);
    EXPECT_EQ(token.size(), 20u);
    for (char c : token) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
    }
    seen.insert(std::move(token));
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Random, HexHasTwoLowerCaseDigitsPerByte) {
  auto hex = base::random_hex(32);
  EXPECT_EQ(hex.size(), 64u);
  for (char c : hex)
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'));
  EXPECT_NE(hex, base::random_hex(32));
}

TEST(Utf8, AcceptsValidAndRefusesInvalidSequences) {
  EXPECT_TRUE(base::is_valid_utf8(""));
  EXPECT_TRUE(base::is_valid_utf8("plain ascii"));
  EXPECT_TRUE(base::is_valid_utf8("caff\xc3\xa8 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(base::is_valid_utf8("\xc3"));                  // truncated
  EXPECT_FALSE(base::is_valid_utf8("ok\xe2\x82"));            // truncated at the end
  EXPECT_FALSE(base::is_valid_utf8("\xc0\xaf"));              // overlong
  EXPECT_FALSE(base::is_valid_utf8("\xe0\x80\xaf"));          // overlong, three bytes
  EXPECT_FALSE(base::is_valid_utf8("\xed\xa0\x80"));          // surrogate
  EXPECT_FALSE(base::is_valid_utf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(base::is_valid_utf8("\xf8\x88\x80\x80\x80"));  // five-byte form
  EXPECT_FALSE(base::is_valid_utf8("\xff"));
  EXPECT_FALSE(base::is_valid_utf8("a\x80"));  // lone continuation byte
}

TEST(Utf8, NextCodePointDecodesAndAdvances) {
  const std::string_view text = "a\xc3\xa8\xe2\x82\xac\xf0\x9f\x98\x80";
  std::size_t i = 0;
  EXPECT_EQ(base::next_code_point(text, i), U'a');
  EXPECT_EQ(base::next_code_point(text, i), U'\u00e8');
  EXPECT_EQ(base::next_code_point(text, i), U'\u20ac');
  EXPECT_EQ(base::next_code_point(text, i), U'\U0001F600');
  EXPECT_EQ(i, text.size());
}

TEST(Utf8, NextCodePointLeavesThePositionOnAnInvalidSequence) {
  std::size_t i = 1;
  EXPECT_FALSE(base::next_code_point("a\xed\xa0\x80", i));
  EXPECT_EQ(i, 1u);
}
