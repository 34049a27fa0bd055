// RFC 6455 client frames as they arrive on a connection. The first byte picks the payload limit
// (so that "too big" is reached too); the rest is parsed frame after frame until it runs out or
// breaks the protocol. Every frame parsed must come back the same when written again as a masked
// client frame, and the UTF-8 check must agree with the grammar of RFC 3629 on every payload
// (and on the input itself).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.hpp"
#include "check.hpp"
#include "net/websocket_frame.hpp"

namespace {

namespace ws = net::ws;

constexpr std::array<std::size_t, 4> kMaxPayloads = {0, 125, 70'000, 1'000'000};

std::string masked_client_frame(const ws::Frame& frame) {
  constexpr std::array<std::uint8_t, 4> mask = {0x37, 0xfa, 0x21, 0x3d};
  const auto header = ws::server_frame_header(frame.opcode, frame.payload.size());
  std::string bytes(reinterpret_cast<const char*>(header.bytes.data()), header.size);
  if (!frame.fin) bytes[0] = static_cast<char>(bytes[0] & 0x7f);
  bytes[1] = static_cast<char>(bytes[1] | 0x80);
  bytes.append(reinterpret_cast<const char*>(mask.data()), mask.size());
  for (std::size_t i = 0; i < frame.payload.size(); ++i) {
    bytes.push_back(static_cast<char>(frame.payload[i] ^ mask[i & 3]));
  }
  return bytes;
}

// RFC 3629 section 4, byte ranges as the grammar writes them: a second opinion, written
// differently from base::is_valid_utf8 on purpose.
bool is_utf8_by_grammar(std::string_view text) {
  const auto in = [](unsigned char byte, unsigned lo, unsigned hi) {
    return byte >= lo && byte <= hi;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto at = [&](std::size_t k) {
      return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0x100u;
    };
    const auto tail = [&](std::size_t k) { return in(at(k), 0x80, 0xBF); };
    const unsigned lead = at(0);
    std::size_t length = 0;
    if (lead <= 0x7F) {
      length = 1;
    } else if (in(lead, 0xC2, 0xDF) && tail(1)) {
      length = 2;
    } else if ((lead == 0xE0 && in(at(1), 0xA0, 0xBF) && tail(2)) ||
               ((in(lead, 0xE1, 0xEC) || in(lead, 0xEE, 0xEF)) && tail(1) && tail(2)) ||
               (lead == 0xED && in(at(1), 0x80, 0x9F) && tail(2))) {
      length = 3;
    } else if ((lead == 0xF0 && in(at(1), 0x90, 0xBF) && tail(2) && tail(3)) ||
               (in(lead, 0xF1, 0xF3) && tail(1) && tail(2) && tail(3)) ||
               (lead == 0xF4 && in(at(1), 0x80, 0x8F) && tail(2) && tail(3))) {
      length = 4;
    } else {
      return false;
    }
    i += length;
  }
  return true;
}

void check_utf8(std::string_view text) {
  FUZZ_CHECK(base::is_valid_utf8(text) == is_utf8_by_grammar(text));
}

void check_round_trip(const ws::Frame& frame, std::size_t max_payload) {
  const auto bytes = masked_client_frame(frame);
  const auto again = ws::parse_client_frame(bytes, max_payload);
  FUZZ_CHECK(!again.error && again.frame && again.consumed == bytes.size());
  FUZZ_CHECK(again.frame->fin == frame.fin && again.frame->opcode == frame.opcode);
  FUZZ_CHECK(again.frame->payload == frame.payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t max_payload = kMaxPayloads[data[0] % kMaxPayloads.size()];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  check_utf8(input);
  while (true) {
    const auto parsed = ws::parse_client_frame(input, max_payload);
    if (parsed.error || !parsed.frame) {
      FUZZ_CHECK(parsed.consumed == 0);
      break;
    }
    FUZZ_CHECK(parsed.consumed > 0 && parsed.consumed <= input.size());
    FUZZ_CHECK(parsed.frame->payload.size() <= max_payload);
    check_round_trip(*parsed.frame, max_payload);
    check_utf8(parsed.frame->payload);
    input.remove_prefix(parsed.consumed);
  }
  return 0;
}
