#include "net/log.hpp"

namespace net {
namespace {

struct Logger {
  LogSink sink;
  LogLevel min_level = LogLevel::off;
};

Logger& logger() {
  static Logger instance;
  return instance;
}

}  // namespace

void set_log_sink(LogSink sink, LogLevel min_level) {
  const auto level = sink ? min_level : LogLevel::off;
  logger() = Logger{std::move(sink), level};
}

bool log_enabled(LogLevel level) {
  return level != LogLevel::off && level >= logger().min_level;
}

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  logger().sink(level, event, std::span<const LogField>(fields.begin(), fields.size()));
}

}  // namespace net
