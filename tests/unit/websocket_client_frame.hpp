#pragma once
// Client-side WebSocket frames for the tests: what a browser sends, masked as RFC 6455 requires.

#include <string>
#include <string_view>

#include "net/websocket_frame.hpp"

namespace harness {

// A client frame: FIN set unless told otherwise, masked with a fixed key.
inline std::string client_frame(net::ws::Opcode opcode, std::string_view payload, bool fin = true) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(opcode)));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      frame.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return frame;
}

}  // namespace harness
