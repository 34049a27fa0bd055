#include "engineio/payload.hpp"

#include "base/base64.hpp"

namespace engineio {

std::vector<net::SharedBytes> encode_payload(std::span<const SharedPacket> packets) {
  static const auto separator = std::make_shared<const std::string>(1, kRecordSeparator);
  std::vector<net::SharedBytes> pieces;
  pieces.reserve(packets.size() * 2);
  for (const auto& packet : packets) {
    if (!pieces.empty()) pieces.push_back(separator);
    if (packet->binary) {
      pieces.push_back(std::make_shared<const std::string>(
          'b' + base::encode_base64(packet->bytes, base::Base64::standard)));
    } else {
      pieces.push_back(bytes_of(packet));
    }
  }
  return pieces;
}

std::optional<std::vector<Packet>> decode_payload(std::string_view body) {
  std::vector<Packet> packets;
  while (true) {
    const auto separator = body.find(kRecordSeparator);
    const auto part = body.substr(0, separator);
    if (part.starts_with('b')) {
      auto bytes = base::decode_base64(part.substr(1), base::Base64::standard);
      if (!bytes) return std::nullopt;
      packets.push_back(Packet{PacketType::message, std::move(*bytes), true});
    } else {
      auto packet = decode_text_packet(part);
      if (!packet) return std::nullopt;
      packets.push_back(std::move(*packet));
    }
    if (separator == std::string_view::npos) break;
    body.remove_prefix(separator + 1);
  }
  return packets;
}

}  // namespace engineio
