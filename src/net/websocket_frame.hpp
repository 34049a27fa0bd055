#pragma once
// RFC 6455 framing as a server sees it: parsing masked client frames out of a byte stream, and
// writing unmasked frame headers. No I/O here, so that it can be tested alone.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace net::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes we send (RFC 6455 §7.4.1).
enum class CloseCode : std::uint16_t {
  normal = 1000,
  protocol_error = 1002,
  invalid_data = 1007,
  too_big = 1009,
};

struct Frame {
  bool fin = false;
  Opcode opcode = Opcode::continuation;
  std::string payload;  // unmasked
};

struct FrameError {
  CloseCode code;
  const char* reason;
};

// The result of looking at the start of `input`: a frame and the bytes it took, nothing yet
// (more bytes needed), or a violation of the protocol.
struct ParseResult {
  std::optional<Frame> frame;
  std::size_t consumed = 0;
  std::optional<FrameError> error;
};

ParseResult parse_client_frame(std::string_view input, std::size_t max_payload);

// The header of an unmasked server frame carrying `payload_size` bytes, FIN set.
struct FrameHeader {
  std::array<std::uint8_t, 10> bytes{};
  std::uint8_t size = 0;
};
FrameHeader server_frame_header(Opcode opcode, std::size_t payload_size);

// Whether a close frame may carry this code (RFC 6455 §7.4): the defined ones that may be sent,
// and the ranges for libraries and applications.
bool is_valid_close_code(std::uint16_t code);

}  // namespace net::ws
