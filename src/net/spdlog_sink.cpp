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

LogLevel library_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LogLevel::debug;
    case spdlog::level::info:
      return LogLevel::info;
    case spdlog::level::warn:
      return LogLevel::warn;
    case spdlog::level::err:
    case spdlog::level::critical:
      return LogLevel::error;
    default:
      return LogLevel::off;
  }
}

bool is_bare(std::string_view value) {
  return !value.empty() && value.size() <= base::kMaxLoggedValueBytes &&
         std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
         });
}

void write(LogLevel level, std::string_view event, std::span<const LogField> fields) {
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

}  // namespace

void log_to_spdlog() {
  set_log_sink(write, library_level(spdlog::get_level()));
}

}  // namespace net
