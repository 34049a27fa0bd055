#pragma once
// An optional sink (target reportd_spdlog_sink) that writes the library's events, and those of
// an application that logs through net/log.hpp too, with spdlog's default logger, one line each:
// - text: `<local time> level=<level> event=<name> key=value ...` (logfmt); a value made of safe
//   characters only is written bare, any other is quoted and escaped (base::quoted);
// - json: `{"time":"<UTC, RFC 3339, ms>","level":"<level>","event":"<name>","key":"value",...}`,
//   every field a JSON string escaped the same way (base::escape_for_log).
// Either way no value can end its field or line early, and the line is valid UTF-8.

#include "net/log.hpp"

namespace net {

enum class LogFormat { text, json };

// Installs the sink for events at `min_level` and above, and sets the default logger's pattern
// and level to match; call before any server starts, as set_log_sink says.
void log_to_spdlog(LogFormat format = LogFormat::text, LogLevel min_level = LogLevel::info);

}  // namespace net
