// The Engine.IO polling body as a client POSTs it: text packets and "b<base64>" binary ones
// joined by 0x1e. A body that decodes must encode back to a body that decodes to the same
// packets, and any bytes must survive a base64 round trip.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/base64.hpp"
#include "check.hpp"
#include "engineio/payload.hpp"

namespace {

using engineio::Packet;

engineio::SharedPacket reencode(const Packet& packet) {
  return packet.binary ? engineio::encode_binary_message(packet.data)
                       : engineio::encode_packet(packet.type, packet.data);
}

bool same(const Packet& a, const Packet& b) {
  return a.type == b.type && a.binary == b.binary && a.data == b.data;
}

void check_base64_round_trip(std::string_view bytes) {
  const auto decoded = base::decode_base64(base::encode_base64(bytes, base::Base64::standard),
                                           base::Base64::standard);
  FUZZ_CHECK(decoded && *decoded == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check_base64_round_trip(body);

  const auto packets = engineio::decode_payload(body);
  if (!packets) return 0;
  FUZZ_CHECK(!packets->empty());
  std::vector<engineio::SharedPacket> encoded;
  for (const auto& packet : *packets) encoded.push_back(reencode(packet));
  std::string body_again;
  for (const auto& piece : engineio::encode_payload(encoded)) body_again += *piece;
  const auto again = engineio::decode_payload(body_again);
  FUZZ_CHECK(again && again->size() == packets->size());
  for (std::size_t i = 0; i < packets->size(); ++i) FUZZ_CHECK(same((*packets)[i], (*again)[i]));
  return 0;
}
