#pragma once
// The HTTP long-polling payload: packets joined by the record separator 0x1e, binary ones as
// "b<base64>".

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"
#include "net/shared_bytes.hpp"

namespace engineio {

inline constexpr char kRecordSeparator = '\x1e';

// The payload as pieces to be sent one after the other: a text packet is its own shared bytes
// (one broadcast's packet is never copied into each client's answer), a binary one its "b<base64>"
// form, with a shared separator between them.
std::vector<net::SharedBytes> encode_payload(std::span<const SharedPacket> packets);
// nullopt when any packet in the body is malformed: the body is taken whole or not at all.
std::optional<std::vector<Packet>> decode_payload(std::string_view body);

}  // namespace engineio
