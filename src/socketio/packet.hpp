#pragma once
// One Socket.IO v5 packet and its encoding into Engine.IO message packets:
// <type>[<attachments>-][<namespace>,][<ack id>][<JSON>], then one binary packet per attachment.

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/packet.hpp"

namespace socketio {

enum class PacketType : char {
  connect = '0',
  disconnect = '1',
  event = '2',
  ack = '3',
  connect_error = '4',
  binary_event = '5',
  binary_ack = '6',
};

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> ack_id;
  // Absent (null with has_data false) for packets without payload, e.g. CONNECT without auth.
  boost::json::value data;
  bool has_data = false;
  // Binary attachments; `data` refers to them with {"_placeholder":true,"num":i}.
  std::vector<std::string> attachments;
};

// The Engine.IO packets that carry `packet`: one text message, then one binary message per
// attachment. EVENT/ACK with attachments are sent as BINARY_EVENT/BINARY_ACK.
std::vector<engineio::SharedPacket> encode(const Packet& packet);

// {"_placeholder":true,"num":index}, the stand-in for attachment `index` inside the JSON.
boost::json::value binary_placeholder(std::size_t index);
// The attachment index that `value` stands for, if it is a placeholder.
std::optional<std::size_t> placeholder_index(const boost::json::value& value);

}  // namespace socketio
