#pragma once

#include <chrono>
#include <cstddef>

namespace socketio {

struct ServerOptions {
  // A connection that joins no namespace within this time is closed.
  std::chrono::milliseconds connect_timeout{45'000};
  // Binary attachments one packet may announce, and the bytes they may hold together.
  std::size_t max_attachments = 64;
  std::size_t max_attachment_bytes = 1'000'000;
};

}  // namespace socketio
