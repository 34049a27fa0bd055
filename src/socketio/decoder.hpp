#pragma once
// Turns the Engine.IO messages of one connection back into Socket.IO packets, reassembling
// binary packets from the attachments that follow them. Anything malformed is an error that the
// caller answers by closing that one connection.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "socketio/errors.hpp"
#include "socketio/packet.hpp"

namespace socketio {

// A complete packet, nothing yet (waiting for attachments), or why the input is refused.
using DecodeResult = std::variant<Packet, std::monostate, Error>;

class Decoder {
 public:
  // `max_attachment_bytes` bounds what one packet's attachments may hold together, so that a
  // client cannot park memory in a packet it never finishes.
  explicit Decoder(std::size_t max_attachments = 64, std::size_t max_attachment_bytes = 1'000'000)
      : max_attachments_(max_attachments), max_attachment_bytes_(max_attachment_bytes) {}

  DecodeResult feed_text(std::string_view text);
  DecodeResult feed_binary(std::string&& bytes);

 private:
  std::size_t max_attachments_;
  std::size_t max_attachment_bytes_;
  std::size_t pending_bytes_ = 0;
  // A binary packet waiting for its attachments. On the heap: most connections never send one,
  // and every idle connection has a decoder.
  std::unique_ptr<Packet> pending_;
  std::size_t expected_attachments_ = 0;
};

// Decodes one text packet alone; for tests and for packets known to carry no attachments.
DecodeResult decode_text(std::string_view text, std::size_t max_attachments,
                         std::size_t& attachments);

}  // namespace socketio
