// The spdlog sink's two formats, seen as a log pipeline sees them: the lines written.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <sstream>
#include <string>
#include <string_view>

#include "base/log_value.hpp"
#include "net/spdlog_sink.hpp"

namespace {

namespace json = boost::json;

// A member that must be a string, as every member of a line is.
std::string text(const json::object& line, std::string_view key) {
  const auto* value = line.if_contains(key);
  EXPECT_TRUE(value && value->is_string()) << key;
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

class LogSink : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_st>(out_)));
  }
  void TearDown() override {
    net::set_log_sink(nullptr, net::LogLevel::off);
    spdlog::set_default_logger(previous_);
  }

  // The one line written since the last call, checked to be exactly one line.
  std::string line() {
    auto text = out_.str();
    out_.str("");
    EXPECT_TRUE(text.ends_with('\n')) << text;
    if (!text.empty()) text.pop_back();
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    return text;
  }

  // The line parsed strictly (Boost.JSON refuses invalid UTF-8 by default).
  json::object object() {
    const auto text = line();
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    EXPECT_FALSE(ec) << ec.message() << ": " << text;
    EXPECT_TRUE(value.is_object()) << text;
    return value.is_object() ? value.as_object() : json::object{};
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Whether `text` has the shape of `shape`, where 'd' stands for any digit. (Not std::regex:
// libstdc++ 12's regex trips -Wmaybe-uninitialized in the sanitizer builds.)
bool has_shape(std::string_view text, std::string_view shape) {
  return text.size() == shape.size() &&
         std::equal(text.begin(), text.end(), shape.begin(), [](char c, char pattern) {
           return pattern == 'd' ? std::isdigit(static_cast<unsigned char>(c)) != 0 : c == pattern;
         });
}

TEST_F(LogSink, JsonLineHasTimeLevelEventAndFieldsAsStrings) {
  net::log_to_spdlog(net::LogFormat::json, net::LogLevel::info);
  net::log_event(net::LogLevel::warn, "accept_failed", {{"error", "too many"}, {"port", "3000"}});
  const auto obj = object();
  EXPECT_EQ(obj.size(), 5u);
  const auto time = text(obj, "time");
  EXPECT_TRUE(has_shape(time, "dddd-dd-ddTdd:dd:dd.dddZ")) << time;
  EXPECT_EQ(text(obj, "level"), "warn");
  EXPECT_EQ(text(obj, "event"), "accept_failed");
  EXPECT_EQ(text(obj, "error"), "too many");
  EXPECT_EQ(text(obj, "port"), "3000");
}

TEST_F(LogSink, JsonLineStaysOneValidObjectWhateverTheValues) {
  net::log_to_spdlog(net::LogFormat::json, net::LogLevel::debug);
  const std::string forged = "x\",\"level\":\"error\"}\n{\"event\":\"forged\\";
  constexpr char kControls[] =
      "nul\0bell\x07"
      "cr\r\ttab\x7f";
  const std::string controls(kControls, sizeof kControls - 1);
  const std::string not_utf8 = "caf\xc3\xa9 \xff\xfe \xc3";
  const std::string huge(10 * 1024, 'h');
  net::log_event(net::LogLevel::debug, "login_failed",
                 {{"username", forged},
                  {"controls", controls},
                  {"bytes", not_utf8},
                  {"huge", huge},
                  {"empty", ""}});
  const auto obj = object();
  EXPECT_EQ(text(obj, "level"), "debug");
  EXPECT_EQ(text(obj, "event"), "login_failed");
  EXPECT_EQ(text(obj, "username"), forged);
  EXPECT_EQ(text(obj, "controls"), controls);
  EXPECT_EQ(text(obj, "bytes"), "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd");
  EXPECT_EQ(text(obj, "huge"), std::string(base::kMaxLoggedValueBytes, 'h') + "...(" +
                                   std::to_string(huge.size() - base::kMaxLoggedValueBytes) +
                                   " more bytes)");
  EXPECT_EQ(text(obj, "empty"), "");
}

TEST_F(LogSink, EventsBelowTheLevelAreNotWritten) {
  net::log_to_spdlog(net::LogFormat::json, net::LogLevel::warn);
  net::log_event(net::LogLevel::info, "login", {{"user_id", "1"}});
  EXPECT_EQ(out_.str(), "");
  EXPECT_FALSE(net::log_enabled(net::LogLevel::info));
  net::log_event(net::LogLevel::error, "store_failed", {});
  EXPECT_EQ(text(object(), "event"), "store_failed");
}

TEST_F(LogSink, TextLineQuotesWhatIsNotBare) {
  net::log_to_spdlog(net::LogFormat::text, net::LogLevel::info);
  net::log_event(net::LogLevel::info, "login_failed",
                 {{"username", "a b\n\xff"}, {"remote", "127.0.0.1"}});
  const auto written = line();
  EXPECT_TRUE(written.ends_with(R"( level=info event=login_failed username="a b\n\ufffd" )"
                                "remote=127.0.0.1"))
      << written;
}

}  // namespace
