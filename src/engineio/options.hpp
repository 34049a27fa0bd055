#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace engineio {

struct ServerOptions {
  std::string path = "/socket.io/";
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{20'000};
  // The largest HTTP body or WebSocket message a client may send, in bytes.
  std::size_t max_payload = 1'000'000;
  // How long a WebSocket may sit between "2probe" and "5" before the upgrade is abandoned.
  std::chrono::milliseconds upgrade_timeout{10'000};
  // How long a WebSocket's opening or closing handshake may take. A graceful shutdown waits for
  // closing handshakes, so keep this below its grace period.
  std::chrono::milliseconds websocket_handshake_timeout{5'000};
  // Sessions open at once; handshakes beyond it get 503, so that a flood of handshakes cannot
  // exhaust memory.
  std::size_t max_sessions = 100'000;
  // Per client address: sessions open at once. Handshakes beyond it get 429, so that one
  // address cannot take every place of max_sessions.
  std::size_t max_sessions_per_address = 256;
  // Per session: bytes waiting for a slow client beyond this close the session. Every packet
  // counts its real cost (its bytes plus a fixed overhead), so tiny packets cannot hide.
  std::size_t max_buffered_bytes = 4 * 1024 * 1024;
  // Packets one polling POST may carry; a body with more is refused and the session closed.
  std::size_t max_packets_per_payload = 4096;
  // Handshake headers (lower-case names) kept for the session's lifetime, for the layers
  // above (e.g. an auth middleware reading Authorization); the others are dropped at once.
  std::vector<std::string> kept_headers = {"authorization"};
};

}  // namespace engineio
