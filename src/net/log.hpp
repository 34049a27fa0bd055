#pragma once
// How the library (net/, engineio/, socketio/) tells its user what happened: a structured event
// (a name and key/value fields) handed to a sink the application installs. The library has no
// log format of its own and writes nothing until a sink is installed; the application decides
// the format, the escaping and the destination (reportd: its spdlog lines, base::quoted).

#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace net {

enum class LogLevel { debug, info, warn, error, off };

struct LogField {
  std::string_view key;
  std::string_view value;  // as received: raw bytes from the network are possible
};

using LogSink =
    std::function<void(LogLevel level, std::string_view event, std::span<const LogField> fields)>;

// Installs the sink for events at `min_level` and above. Call before any server starts: the
// sink is read without synchronisation afterwards (thread start orders the write before).
void set_log_sink(LogSink sink, LogLevel min_level);

// Cheap test for call sites whose fields cost something to build.
bool log_enabled(LogLevel level);

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);

}  // namespace net
