#include "net/spdlog_sink.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/log_value.hpp"
#include "net/log.hpp"

namespace net {
namespace {

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warn:
      return spdlog::level::warn;
    case LogLevel::error:
      return spdlog::level::err;
    case LogLevel::off:
      break;
  }
  return spdlog::level::off;
}

bool is_bare(std::string_view value) {
  return !value.empty() && value.size() <= base::kMaxLoggedValueBytes &&
         std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
         });
}

void write_text(LogLevel level, std::string_view event, std::span<const LogField> fields) {
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "event={}", event);
  for (const auto& field : fields) {
    if (is_bare(field.value)) {
      fmt::format_to(std::back_inserter(line), " {}={}", field.key, field.value);
    } else {
      fmt::format_to(std::back_inserter(line), " {}={}", field.key, base::quoted(field.value));
    }
  }
  spdlog::log(spdlog_level(level), "{}", std::string_view(line.data(), line.size()));
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    case LogLevel::off:
      break;
  }
  return "off";
}

// The rest of the object whose start ({"time":"...",) the pattern writes.
void write_json(LogLevel level, std::string_view event, std::span<const LogField> fields) {
  fmt::memory_buffer line;
  const auto member = [&line](std::string_view key, std::string_view value) {
    fmt::format_to(std::back_inserter(line), "\"{}\":\"{}\"", base::escape_for_log(key),
                   base::escape_for_log(value));
  };
  member("level", level_name(level));
  line.push_back(',');
  member("event", event);
  for (const auto& field : fields) {
    line.push_back(',');
    member(field.key, field.value);
  }
  line.push_back('}');
  spdlog::log(spdlog_level(level), "{}", std::string_view(line.data(), line.size()));
}

}  // namespace

void log_to_spdlog(LogFormat format, LogLevel min_level) {
  spdlog::set_level(spdlog_level(min_level));
  if (format == LogFormat::json) {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ",%v)", spdlog::pattern_time_type::utc);
    set_log_sink(write_json, min_level);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
    set_log_sink(write_text, min_level);
  }
}

}  // namespace net
