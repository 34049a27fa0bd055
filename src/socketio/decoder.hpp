#pragma once
// Turns the Engine.IO messages of one connection back into Socket.IO packets, reassembling
// binary packets from the attachments that follow them. Anything malformed is an error that the
// caller answers by closing that one connection.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "socketio/packet.hpp"

namespace socketio {

struct DecodeError {
  std::string reason;
};

// A complete packet, nothing yet (waiting for attachments), or an error.
using DecodeResult = std::variant<Packet, std::monostate, DecodeError>;

class Decoder {
 public:
  explicit Decoder(std::size_t max_attachments = 64) : max_attachments_(max_attachments) {}

  DecodeResult feed_text(std::string_view text);
  DecodeResult feed_binary(std::string&& bytes);

 private:
  std::size_t max_attachments_;
  std::optional<Packet> pending_;  // a binary packet waiting for its attachments
  std::size_t expected_attachments_ = 0;
};

// Decodes one text packet alone; for tests and for packets known to carry no attachments.
DecodeResult decode_text(std::string_view text, std::size_t max_attachments,
                         std::size_t& attachments);

}  // namespace socketio
