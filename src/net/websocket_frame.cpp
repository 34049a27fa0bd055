#include "net/websocket_frame.hpp"

namespace net::ws {

ParseResult parse_client_frame(std::string_view input, std::size_t max_payload) {
  ParseResult result;
  if (input.size() < 2) return result;
  const auto b0 = static_cast<std::uint8_t>(input[0]);
  const auto b1 = static_cast<std::uint8_t>(input[1]);
  const bool fin = b0 & 0x80;
  const auto opcode = static_cast<Opcode>(b0 & 0x0F);
  if (b0 & 0x70) {
    result.error = FrameError{CloseCode::protocol_error, "reserved bits set"};
    return result;
  }
  switch (opcode) {
    case Opcode::continuation:
    case Opcode::text:
    case Opcode::binary:
    case Opcode::close:
    case Opcode::ping:
    case Opcode::pong:
      break;
    default:
      result.error = FrameError{CloseCode::protocol_error, "unknown opcode"};
      return result;
  }
  if (!(b1 & 0x80)) {
    result.error = FrameError{CloseCode::protocol_error, "client frame not masked"};
    return result;
  }
  std::uint64_t length = b1 & 0x7F;
  std::size_t offset = 2;
  if (length == 126) {
    if (input.size() < 4) return result;
    length = (std::uint64_t{static_cast<std::uint8_t>(input[2])} << 8) |
             static_cast<std::uint8_t>(input[3]);
    offset = 4;
  } else if (length == 127) {
    if (input.size() < 10) return result;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | static_cast<std::uint8_t>(input[2 + i]);
    if (length >> 63) {
      result.error = FrameError{CloseCode::protocol_error, "length with the top bit set"};
      return result;
    }
    offset = 10;
  }
  const bool control = static_cast<std::uint8_t>(opcode) >= 0x8;
  if (control && (!fin || length > 125)) {
    result.error = FrameError{CloseCode::protocol_error, "bad control frame"};
    return result;
  }
  if (length > max_payload) {
    result.error = FrameError{CloseCode::too_big, "message too big"};
    return result;
  }
  if (input.size() < offset + 4 + length) return result;
  const auto* mask = reinterpret_cast<const std::uint8_t*>(input.data() + offset);
  const auto* data = input.data() + offset + 4;
  Frame frame{fin, opcode, std::string(data, static_cast<std::size_t>(length))};
  for (std::size_t i = 0; i < frame.payload.size(); ++i) {
    frame.payload[i] = static_cast<char>(static_cast<std::uint8_t>(frame.payload[i]) ^ mask[i & 3]);
  }
  result.consumed = offset + 4 + static_cast<std::size_t>(length);
  result.frame = std::move(frame);
  return result;
}

FrameHeader server_frame_header(Opcode opcode, std::size_t payload_size) {
  FrameHeader header;
  header.bytes[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));
  if (payload_size < 126) {
    header.bytes[1] = static_cast<std::uint8_t>(payload_size);
    header.size = 2;
  } else if (payload_size <= 0xFFFF) {
    header.bytes[1] = 126;
    header.bytes[2] = static_cast<std::uint8_t>(payload_size >> 8);
    header.bytes[3] = static_cast<std::uint8_t>(payload_size);
    header.size = 4;
  } else {
    header.bytes[1] = 127;
    for (int i = 0; i < 8; ++i) {
      header.bytes[2 + i] = static_cast<std::uint8_t>(std::uint64_t{payload_size} >> (56 - 8 * i));
    }
    header.size = 10;
  }
  return header;
}

bool is_valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace net::ws
