#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace engineio {

struct ServerOptions {
  std::string path = "/socket.io/";
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{20'000};
  // The largest HTTP body or WebSocket message a client may send, in bytes.
  std::size_t max_payload = 1'000'000;
  // How long a WebSocket may sit between "2probe" and "5" before the upgrade is abandoned.
  std::chrono::milliseconds upgrade_timeout{10'000};
  // Sessions open at once; handshakes beyond it get 503, so that a flood of handshakes cannot
  // exhaust memory.
  std::size_t max_sessions = 100'000;
  // Per session: bytes waiting for a slow client beyond this close the session.
  std::size_t max_buffered_bytes = 4 * 1024 * 1024;
};

}  // namespace engineio
