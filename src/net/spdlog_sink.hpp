#pragma once
// An optional sink (target reportd_spdlog_sink) that writes the library's events through spdlog
// as one logfmt line each, `event=<name> key=value ...`: a value made of safe characters only is
// written bare, any other is quoted and escaped (base::quoted), so that no value can end its
// field or line early.

namespace net {

// Installs the sink at spdlog's current level; call after configuring spdlog.
void log_to_spdlog();

}  // namespace net
