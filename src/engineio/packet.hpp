#pragma once
// One Engine.IO v4 packet: its type, and how it is written as text or binary.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace engineio {

enum class PacketType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

// A packet as received. Binary packets are always messages.
struct Packet {
  PacketType type = PacketType::message;
  std::string data;
  bool binary = false;
};

// Decodes the text form "<type digit><data>"; nullopt for empty input or an unknown type.
std::optional<Packet> decode_text_packet(std::string_view text);

// A packet ready to go out, immutable so that one instance can be sent to many sessions.
// Text packets hold "<type digit><data>"; binary messages hold the raw bytes.
struct EncodedPacket {
  std::string bytes;
  bool binary = false;
};

using SharedPacket = std::shared_ptr<const EncodedPacket>;

SharedPacket encode_packet(PacketType type, std::string_view data = {});
SharedPacket encode_binary_message(std::string bytes);

// The packet's bytes as a transport sends them (net::SharedBytes), sharing ownership with the
// packet: no copy, no allocation.
inline std::shared_ptr<const std::string> bytes_of(const SharedPacket& packet) {
  return {packet, &packet->bytes};
}

}  // namespace engineio
