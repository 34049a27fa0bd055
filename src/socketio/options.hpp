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
  // Connection state recovery: the most bytes of missed packets a resumed session is sent; a
  // client that missed more gets a new session (and must fetch what it missed itself), rather
  // than a replay that could overflow its send buffer.
  std::size_t max_recovery_bytes = 2 * 1024 * 1024;
};

}  // namespace socketio
