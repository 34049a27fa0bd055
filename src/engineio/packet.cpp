#include "engineio/packet.hpp"

namespace engineio {

std::optional<Packet> decode_text_packet(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  return Packet{static_cast<PacketType>(text[0]), std::string(text.substr(1)), false};
}

SharedPacket encode_packet(PacketType type, std::string_view data) {
  std::string bytes;
  bytes.reserve(1 + data.size());
  bytes.push_back(static_cast<char>(type));
  bytes.append(data);
  return std::make_shared<const EncodedPacket>(EncodedPacket{std::move(bytes), false});
}

SharedPacket encode_binary_message(std::string bytes) {
  return std::make_shared<const EncodedPacket>(EncodedPacket{std::move(bytes), true});
}

}  // namespace engineio
